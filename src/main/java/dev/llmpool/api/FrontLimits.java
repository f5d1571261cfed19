package dev.llmpool.api;

/**
 * The HTTP port's limits against careless and hostile clients (README "HTTP server limits"). Read at start.
 *
 * @param maxHeaderBytes     request line and headers together (431 above; 414 for a request line over
 *                           {@code maxLineBytes})
 * @param maxLineBytes       the request line
 * @param idleTimeoutMs      a connection with no byte in either direction for this long is closed
 * @param headerTimeoutMs    a new connection must have sent its first request's headers within this long
 *                           (slowloris), else it is closed
 * @param maxConnections     open connections at once; the ones over it are answered 503 and closed
 */
public record FrontLimits(int maxHeaderBytes, int maxLineBytes, long idleTimeoutMs, long headerTimeoutMs,
                          int maxConnections) {
}
