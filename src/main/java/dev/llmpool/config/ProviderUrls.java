package dev.llmpool.config;

import java.net.InetAddress;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.UnknownHostException;
import java.util.Locale;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Rules for a provider's base URL: what the loader accepts, and how it is shown. A URL is the place the pool sends
 * prompts to, so a mistyped or planted one must not pass: http or https, a host, a port in range, no query or
 * fragment (they would become options of the route's endpoint), and no link-local or cloud-metadata address (the
 * classic server-side request forgery target) unless the operator says so with
 * {@code pool.providers.<name>.allow-link-local=true}. Only literal addresses and the metadata services' well-known
 * names are checked: a name is not resolved while loading.
 */
public final class ProviderUrls {

    private static final Set<String> METADATA_NAMES = Set.of("metadata.google.internal", "metadata.goog", "metadata",
            "instance-data", "instance-data.ec2.internal", "metadata.azure.internal");
    private static final Pattern USER_INFO = Pattern.compile("^([A-Za-z][A-Za-z0-9+.-]*://)[^/?#@]*@");
    private static final Pattern NUMERIC_HOST = Pattern.compile("^(0x[0-9a-fA-F]+|[0-9]+)(\\.(0x[0-9a-fA-F]+|[0-9]+)){0,3}$");

    private ProviderUrls() {
    }

    /** Fails with a ConfigException naming {@code key} when the URL breaks a rule above. */
    public static void validate(String key, String url, boolean allowLinkLocal) {
        URI uri;
        try {
            uri = new URI(url);
        } catch (URISyntaxException e) {
            throw new ConfigException(key + " is not a valid URL: '" + masked(url) + "'");
        }
        String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
        if (!scheme.equals("http") && !scheme.equals("https")) {
            throw new ConfigException(key + " must start with http:// or https://, got '" + masked(url) + "'");
        }
        String host = uri.getHost();
        if (host == null || host.isBlank()) {
            throw new ConfigException(key + " needs a host and, if any, a port from 1 to 65535: '" + masked(url) + "'");
        }
        if (uri.getPort() == 0 || uri.getPort() > 65535) {
            throw new ConfigException(key + " has a port out of range: '" + masked(url) + "'");
        }
        if (uri.getRawQuery() != null || uri.getRawFragment() != null) {
            throw new ConfigException(key + " must not have a query or fragment: '" + masked(url) + "'");
        }
        if (!allowLinkLocal && isLinkLocalOrMetadata(host)) {
            throw new ConfigException(key + " points to a link-local or cloud-metadata address ('" + host
                    + "'); set " + key.substring(0, key.length() - "url".length()) + "allow-link-local=true if you mean it");
        }
    }

    /**
     * The URL with any {@code user:password@} replaced by {@code ***@}: fit for /health, gRPC Health and logs. A
     * comma-separated list of replicas' URLs is masked URL by URL.
     */
    public static String masked(String url) {
        if (url == null) {
            return null;
        }
        if (url.indexOf(',') >= 0) {
            return java.util.Arrays.stream(url.split(",", -1)).map(ProviderUrls::masked)
                    .collect(java.util.stream.Collectors.joining(","));
        }
        return USER_INFO.matcher(url).replaceFirst("$1***@");
    }

    static boolean isLinkLocalOrMetadata(String host) {
        String h = host.toLowerCase(Locale.ROOT);
        if (h.startsWith("[") && h.endsWith("]")) {
            h = h.substring(1, h.length() - 1);
        }
        if (h.endsWith(".")) {
            h = h.substring(0, h.length() - 1);
        }
        if (METADATA_NAMES.contains(h)) {
            return true;
        }
        if (!h.contains(":") && !NUMERIC_HOST.matcher(h).matches()) {
            return false;  // a name: not resolved here
        }
        try {
            InetAddress address = InetAddress.getByName(h);  // a literal: no lookup
            byte[] b = address.getAddress();
            boolean alibaba = b.length == 4 && (b[0] & 0xff) == 100 && (b[1] & 0xff) == 100 && (b[2] & 0xff) == 100
                    && (b[3] & 0xff) == 200;
            boolean awsV6 = address.getHostAddress().equalsIgnoreCase("fd00:ec2:0:0:0:0:0:254");
            return address.isLinkLocalAddress() || alibaba || awsV6;
        } catch (UnknownHostException e) {
            return false;  // not an address: the route's client will fail on it like on any bad name
        }
    }
}
