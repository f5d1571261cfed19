package dev.llmpool.api;

import java.util.Map;

import org.apache.camel.Exchange;
import org.apache.camel.Message;

/**
 * Sets an HTTP reply on the exchange. Every header is replaced first: platform-http echoes message headers
 * back to the caller, and the caller's own (Authorization!) must not leak into the response.
 */
public final class HttpReply {

    private HttpReply() {
    }

    public static void set(Exchange exchange, int status, String contentType, Object body, Map<String, String> headers) {
        Message msg = start(exchange, status, contentType);
        headers.forEach(msg::setHeader);
        msg.setBody(body);
    }

    /** A reply with one extra header (name and value may be null for none). */
    public static void set(Exchange exchange, int status, String contentType, Object body, String header, String value) {
        Message msg = start(exchange, status, contentType);
        if (header != null) {
            msg.setHeader(header, value);
        }
        msg.setBody(body);
    }

    private static Message start(Exchange exchange, int status, String contentType) {
        Message msg = exchange.getMessage();
        msg.getHeaders().clear();
        msg.setHeader(Exchange.HTTP_RESPONSE_CODE, status);
        msg.setHeader(Exchange.CONTENT_TYPE, contentType);
        return msg;
    }
}
