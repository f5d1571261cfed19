package dev.llmpool.auth;

import java.util.Arrays;
import java.util.Collection;
import java.util.Map;
import java.util.Set;
import java.util.function.Supplier;
import java.util.stream.Collectors;

import com.nimbusds.jwt.JWTClaimsSet;
import org.apache.camel.Exchange;
import org.apache.camel.Message;
import org.apache.camel.Processor;

import dev.llmpool.api.ApiException;
import dev.llmpool.api.RequestState;

/**
 * The infer route's step right after the request context: who is calling. With {@code pool.auth.enabled=false} every
 * request is tenant {@code default}. Otherwise the caller presents {@code Authorization: Bearer <credential>} or
 * {@code x-api-key: <key>} (gRPC: metadata {@code authorization}); a credential without a dot is an API key, looked up
 * by its SHA-256 digest in constant time, anything else a JWT ({@link JwtVerifier}). Success sets the
 * request's tenant and principal ({@link dev.llmpool.api.RequestState}) and removes the credential headers, so nothing
 * after this
 * step can log or forward them; failure is a 401 {@code unauthenticated} with {@code WWW-Authenticate: Bearer}. A route
 * whose callers carry no credential (a queue) names the tenant itself ({@link #namedByRoute}).
 */
public final class Authenticator implements Processor {

    public static final String DEFAULT_TENANT = "default";
    /** A credential is never longer (a JWT with a few claims is well under 2 KB). */
    static final int MAX_CREDENTIAL_CHARS = 8192;
    private static final Map<String, String> CHALLENGE = Map.of("WWW-Authenticate", "Bearer");

    private final Supplier<AccessConfig> config;
    private final JwtVerifier jwt;

    public Authenticator(Supplier<AccessConfig> config, JwtVerifier jwt) {
        this.config = config;
        this.jwt = jwt;
    }

    @Override
    public void process(Exchange exchange) {
        RequestState state = RequestState.of(exchange);
        AccessConfig access = config.get();
        if (!access.enabled()) {
            state.setTenant(DEFAULT_TENANT);
            return;
        }
        String named = state.tenant();
        Principal principal = named != null ? namedByRoute(access, named) : identify(access, exchange.getIn());
        state.setTenant(principal.tenant().name());
        state.setPrincipal(principal);
    }

    /**
     * A door with no caller credential (a message queue) names its tenant in its route, by setting the exchange
     * property {@code llmpool.tenant} before {@code direct:infer}: only routes can set properties, never a caller.
     */
    private static Principal namedByRoute(AccessConfig access, String name) {
        if (name.isBlank()) {  // the start-up check (AccessBeans) refuses this; a reload that turns auth on does not restart
            throw unauthenticated("this door names no tenant: set its pool.kafka.tenant or pool.jms.tenant");
        }
        Tenant tenant = access.tenant(name);
        if (tenant == null) {
            throw unauthenticated("the route names tenant '" + name + "', which is not configured");
        }
        return new Principal(tenant, null);
    }

    /**
     * Whether the caller of an authenticated exchange may use this task or model (a door's model list shows only those);
     * true when auth is off.
     */
    public static boolean allows(Exchange exchange, String name) {
        Principal principal = RequestState.of(exchange).principal();
        return principal == null || principal.allows(name);
    }

    /**
     * Whether the caller of this message may see and do what only operators may (the whole health report,
     * {@code /metrics}, the operations page): always with auth off (the pool then listens on loopback only); with auth
     * on, when its credential (removed from the message) is an admin tenant's. A missing or invalid credential is a
     * 401, the one decision every operator door makes: a door that shows a reduced view instead catches it.
     */
    public boolean isAdmin(Message in) {
        AccessConfig access = config.get();
        return !access.enabled() || identify(access, in).tenant().admin();
    }

    /** The caller presenting this message's credential (removed from the message), or a 401. */
    public Principal identify(AccessConfig access, Message in) {
        String credential = credential(in);
        in.removeHeader("Authorization");
        in.removeHeader("x-api-key");
        if (credential.indexOf('.') < 0) {
            Tenant tenant = access.tenantOfKeyDigest(ApiKeys.sha256(credential));
            if (tenant == null) {
                throw unauthenticated("unknown API key");
            }
            return new Principal(tenant, null);
        }
        if (access.jwt().jwks() == null) {
            throw unauthenticated("unknown API key (JWTs are not accepted here)");
        }
        JWTClaimsSet claims;
        try {
            claims = jwt.verify(credential, access.jwt());
        } catch (JwtVerifier.Rejected e) {
            throw unauthenticated("invalid token: " + e.getMessage());
        }
        Object name = claims.getClaim(access.jwt().tenantClaim());
        Tenant tenant = name instanceof String s ? access.tenant(s) : null;
        if (tenant == null) {
            throw unauthenticated("invalid token: claim '" + access.jwt().tenantClaim() + "' names no configured tenant");
        }
        return new Principal(tenant, narrowed(claims, access.jwt().tasksClaim()));
    }

    /** The credential of the message, checked for shape; a 401 when there is none or it is malformed. */
    private static String credential(Message in) {
        Object authorization = in.getHeader("Authorization");
        Object apiKey = in.getHeader("x-api-key");
        String credential;
        if (authorization != null) {
            String value = single(authorization);
            if (value.length() < 7 || !value.regionMatches(true, 0, "Bearer ", 0, 7)) {
                throw unauthenticated("Authorization must be 'Bearer <API key or JWT>'");
            }
            credential = value.substring(7).trim();
        } else if (apiKey != null) {
            credential = single(apiKey).trim();
        } else {
            throw unauthenticated("a credential is required: Authorization: Bearer <API key or JWT>, or x-api-key");
        }
        if (credential.isEmpty() || credential.length() > MAX_CREDENTIAL_CHARS) {
            throw unauthenticated("the credential must be 1 to " + MAX_CREDENTIAL_CHARS + " characters");
        }
        for (int i = 0; i < credential.length(); i++) {
            char c = credential.charAt(i);
            if (c < 0x21 || c > 0x7E) {
                throw unauthenticated("the credential must be visible ASCII characters");
            }
        }
        return credential;
    }

    private static String single(Object header) {
        if (header instanceof Collection<?> values) {
            if (values.size() != 1) {
                throw unauthenticated("exactly one credential header is allowed");
            }
            return String.valueOf(values.iterator().next());
        }
        return header.toString();
    }

    /** The token's task list ({@code tasks-claim}: a JSON array, or a string separated by spaces or commas). */
    private static Set<String> narrowed(JWTClaimsSet claims, String claim) {
        Object value = claim == null ? null : claims.getClaim(claim);
        if (value instanceof Collection<?> list) {
            return list.stream().map(String::valueOf).collect(Collectors.toUnmodifiableSet());
        }
        if (value instanceof String text) {
            return Arrays.stream(text.split("[\\s,]+")).filter(s -> !s.isEmpty()).collect(Collectors.toUnmodifiableSet());
        }
        return null;
    }

    static ApiException unauthenticated(String message) {
        return new ApiException(401, "unauthenticated", message, null, null, CHALLENGE);
    }

    static ApiException forbidden(String message) {
        return new ApiException(403, "forbidden", message, null);
    }
}
