package dev.llmpool.streaming;

import com.fasterxml.jackson.databind.ObjectMapper;
import org.apache.camel.BeanInject;
import org.apache.camel.BindToRegistry;

import dev.llmpool.providers.BackendBinding;

/** Streamed answers: a provider route's streamed call (routes/providers.camel.yaml). */
public class StreamingBeans {

    @BindToRegistry
    public StreamedCall streamedCall(@BeanInject("backendBinding") BackendBinding backendBinding) {
        return new StreamedCall(backendBinding, new ObjectMapper());
    }
}
