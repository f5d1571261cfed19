package dev.llmpool.providers;

import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.ext.web.client.HttpRequest;
import io.vertx.ext.web.client.WebClientOptions;
import org.apache.camel.component.vertx.http.VertxHttpEndpoint;
import org.apache.camel.impl.DefaultCamelContext;
import org.apache.camel.support.DefaultExchange;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class BackendBindingTest {

    private final Vertx vertx = Vertx.vertx();
    private final DefaultCamelContext camel = new DefaultCamelContext();
    private final BackendBinding binding = new BackendBinding(vertx, new WebClientOptions());

    @AfterEach
    void close() throws Exception {
        camel.close();
        vertx.close();
    }

    private HttpRequest<Buffer> requestFor(String backendUri) {
        EventLoopHttpComponent http = new EventLoopHttpComponent();
        http.setVertx(vertx);
        camel.addComponent("vertx-http", http);
        VertxHttpEndpoint endpoint = (VertxHttpEndpoint) camel.getEndpoint("vertx-http:" + backendUri);
        return binding.prepareHttpRequest(endpoint, new DefaultExchange(camel));
    }

    @Test
    void anHttpsBackendIsCalledOverTlsOnItsPortWithPathAndQuery() {
        HttpRequest<Buffer> request = requestFor("https://models.example:8443/v1/chat/completions?api-version=2");
        assertEquals("models.example", request.host());
        assertEquals(8443, request.port());
        assertEquals("/v1/chat/completions?api-version=2", request.uri());
        assertTrue(request.ssl());
    }

    @Test
    void anHttpBackendWithoutAPortIsCalledOnPort80InPlainText() {
        HttpRequest<Buffer> request = requestFor("http://ollama.internal/api/chat");
        assertEquals("ollama.internal", request.host());
        assertEquals(80, request.port());
        assertEquals("/api/chat", request.uri());
        assertFalse(request.ssl());
    }

    @Test
    void anHttpsBackendWithoutAPortIsCalledOn443() {
        HttpRequest<Buffer> request = requestFor("https://models.example/api/chat");
        assertEquals(443, request.port());
        assertTrue(request.ssl());
    }
}
