package dev.llmpool.auth;

import java.io.IOException;
import java.net.URL;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

import com.nimbusds.jose.jwk.JWKSet;
import org.apache.camel.support.service.ServiceSupport;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The JSON Web Key Set that JWTs are verified with ({@code pool.auth.jwt.jwks}), always read from memory: requests
 * never wait for it. One background thread keeps it fresh: a {@code file:} set is read again as soon as the file
 * changes (looked at every second), a URL is fetched every {@code jwks-refresh-seconds}, and sooner (at most every
 * {@value #MIN_REFETCH_SECONDS} s) when a token names a key the set does not have (a rotation). A fetch that fails or
 * hangs (bounded by {@code jwks-timeout-ms}) leaves the previous set in force; until a first set is loaded every
 * JWT is refused.
 */
public final class JwksCache extends ServiceSupport {

    private static final Logger LOG = LoggerFactory.getLogger(JwksCache.class);
    private static final long MIN_REFETCH_SECONDS = 5;
    private static final int MAX_BYTES = 512 * 1024;

    /** What is loaded, and from where and when (to know when to look again). */
    private record Loaded(String location, JWKSet keys, long fileStamp, long fetchedNanos) {
    }

    private final Supplier<AccessConfig> config;
    private final ScheduledExecutorService refresher = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "llmpool-jwks");
        t.setDaemon(true);
        return t;
    });
    private volatile Loaded loaded = new Loaded(null, new JWKSet(), 0, 0);
    private volatile boolean unknownKeySeen;
    private String lastFailure;  // refresher thread only

    public JwksCache(Supplier<AccessConfig> config) {
        this.config = config;
    }

    @Override
    protected void doStart() {
        refresher.scheduleWithFixedDelay(this::refresh, 0, 1, TimeUnit.SECONDS);
    }

    @Override
    protected void doStop() {
        refresher.shutdownNow();
    }

    /** The keys in force. */
    public JWKSet keys() {
        return loaded.keys();
    }

    /** A token named a key that is not in the set: look again soon (the issuer may have rotated its keys). */
    public void unknownKeySeen() {
        unknownKeySeen = true;
    }

    /** One look, on the refresher thread (tests may call it to skip the wait). */
    void refresh() {
        String location = config.get().jwt().jwks();
        Loaded now = loaded;
        try {
            if (location == null) {
                loaded = new Loaded(null, new JWKSet(), 0, 0);
            } else if (location.startsWith("file:")) {
                Path file = Path.of(location.substring("file:".length()));
                long stamp = Files.getLastModifiedTime(file).toMillis() * 31 + Files.size(file);
                if (!location.equals(now.location()) || stamp != now.fileStamp()) {
                    loaded(new Loaded(location, JWKSet.load(file.toFile()), stamp, System.nanoTime()));
                }
            } else {
                long age = System.nanoTime() - now.fetchedNanos();
                AccessConfig.Jwt jwt = config.get().jwt();
                boolean due = !location.equals(now.location()) || age > TimeUnit.SECONDS.toNanos(jwt.refreshSeconds())
                        || (unknownKeySeen && age > TimeUnit.SECONDS.toNanos(MIN_REFETCH_SECONDS));
                if (due) {
                    unknownKeySeen = false;
                    int timeout = (int) jwt.fetchTimeoutMs();
                    // stamped before the fetch: a failed fetch is not retried before the next refresh is due
                    loaded = new Loaded(location, now.keys(), 0, System.nanoTime());
                    loaded(new Loaded(location, JWKSet.load(new URL(location), timeout, timeout, MAX_BYTES), 0,
                            System.nanoTime()));
                }
            }
            lastFailure = null;
        } catch (IOException | java.text.ParseException | RuntimeException e) {
            String reason = String.valueOf(e.getMessage());
            if (!reason.equals(lastFailure)) {  // once per distinct failure, not every second
                LOG.warn("event=jwks_unavailable jwks={} reason=\"{}\" effect=\"the {} keys loaded before stay in force\"",
                        location, reason, now.keys().getKeys().size());
            }
            lastFailure = reason;
        }
    }

    private void loaded(Loaded next) {
        loaded = next;
        List<String> ids = next.keys().getKeys().stream().map(k -> String.valueOf(k.getKeyID())).toList();
        LOG.info("event=jwks_loaded jwks={} keys={}", next.location(), ids);
    }
}
