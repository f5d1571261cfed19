package dev.llmpool.startup;

import org.apache.camel.component.http.HttpClientConfigurer;
import org.apache.hc.client5.http.cookie.CookieSpecFactory;
import org.apache.hc.client5.http.impl.classic.HttpClientBuilder;
import org.apache.hc.core5.http.config.RegistryBuilder;

/**
 * Backend calls keep no cookies. Model servers set none, and camel-http would otherwise keep one cookie store per
 * endpoint, shared by every caller. Apache HttpClient builds its cookie rules whether or not cookies are used, and
 * those load the public suffix list (about 0.3 s of CPU) when the first backend endpoint is made, which is during
 * the first request or health check.
 */
public final class NoBackendCookies implements HttpClientConfigurer {

    @Override
    public void configureHttpClient(HttpClientBuilder builder) {
        builder.disableCookieManagement().setDefaultCookieSpecRegistry(RegistryBuilder.<CookieSpecFactory>create().build());
    }
}
