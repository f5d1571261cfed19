package dev.llmpool.api;

import java.util.Map;

import org.apache.camel.Exchange;

/**
 * Sets an HTTP reply on the exchange. Every header is replaced first: platform-http echoes message headers
 * back to the caller, and the caller's own (Authorization!) must not leak into the response.
 */
public final class HttpReply {

    private HttpReply() {
    }

    public static void set(Exchange exchange, int status, String contentType, Object body, Map<String, String> headers) {
        var msg = exchange.getMessage();
        msg.removeHeaders("*");
        msg.setHeader(Exchange.HTTP_RESPONSE_CODE, status);
        msg.setHeader(Exchange.CONTENT_TYPE, contentType);
        headers.forEach(msg::setHeader);
        msg.setBody(body);
    }
}
