package dev.llmpool.resilience;

import dev.llmpool.providers.CallProperties;
import org.apache.camel.AsyncCallback;
import org.apache.camel.Exchange;
import org.apache.camel.NamedNode;
import org.apache.camel.Processor;
import org.apache.camel.Route;
import org.apache.camel.spi.Policy;
import org.apache.camel.support.processor.DelegateAsyncProcessor;

import dev.llmpool.providers.CallHandle;
import dev.llmpool.providers.ProviderCall;

/**
 * The provider route's guard ({@code policy} node {@code breaker-<name>}): the steps inside run only with a permit
 * from the provider's circuit breaker and bulkhead, and their outcome (an exception or not) is recorded when they
 * end, asynchronously. An open breaker fails the call with CallNotPermittedException, a full bulkhead with
 * BulkheadFullException; the ensemble then moves on to the next provider. No thread waits for the backend. A call
 * its sender ends ({@link CallHandle}) gives its bulkhead slot back at once; the breaker then counts what ended it:
 * the sender's abort (neither way when cancelled, a timeout when it ran out of time), or a reply that came back
 * anyway, as it is. The permit names the replica the call goes to ({@link ProviderCall#REPLICA_URL}). A call that
 * finds every replica full waits in the provider's queue (see ProviderGuards) as a first call, or as an extra one
 * when its sender says so ({@link CallProperties#EXTRA_CALL}); its sender ending it withdraws it from the queue.
 */
public class BreakerPolicy implements Policy {


    private final ProviderGuards guards;

    public BreakerPolicy(ProviderGuards guards) {
        this.guards = guards;
    }

    @Override
    public void beforeWrap(Route route, NamedNode definition) {
    }

    @Override
    public Processor wrap(Route route, Processor steps) {
        // Always completes "asynchronously" (done(false)): the permit may come now or later on a timer thread, and
        // Camel 4's routing engine continues the same way in both cases. DelegateAsyncProcessor starts and stops the
        // steps with this processor.
        return new DelegateAsyncProcessor(steps) {
            @Override
            public boolean process(Exchange exchange, AsyncCallback callback) {
                ProviderCall call = exchange.getProperty(CallProperties.CALL, ProviderCall.class);
                ProviderGuards.Priority priority = Boolean.TRUE.equals(exchange.getProperty(CallProperties.EXTRA_CALL, Boolean.class))
                        ? ProviderGuards.Priority.EXTRA : ProviderGuards.Priority.FIRST;
                CallHandle waiting = CallHandle.of(exchange);
                Runnable withdraw = guards.acquire(exchange.getProperty(CallProperties.PROVIDER, String.class),
                        priority, call == null ? Long.MAX_VALUE : call.deadlineNanos(), permit -> {
                    if (permit.refusal() != null) {
                        exchange.setException(permit.refusal());
                        callback.done(false);
                        return;
                    }
                    exchange.setProperty(CallProperties.REPLICA_URL, permit.replicaUrl());
                    CallHandle handle = CallHandle.of(exchange);
                    if (handle != null) {
                        handle.onEnd(permit::freeSlot); // at once: the next request may use the slot
                        if (handle.cancelled()) { // ended as its permit came: it never reached the backend
                            exchange.setException(handle.reason());
                            permit.release();
                            callback.done(false);
                            return;
                        }
                    }
                    processor.process(exchange, doneSync -> {
                        Exception failure = exchange.getException();
                        if (handle != null && handle.endedBy(failure)) {
                            endedBySender(handle, permit);
                        } else if (failure != null) { // a reply that came back anyway counts as it is
                            permit.failed(failure);
                        } else {
                            permit.succeeded();
                        }
                        callback.done(false);
                    });
                });
                if (waiting != null) {
                    waiting.onEnd(withdraw); // still queued when its sender ends it: out of the queue at once
                }
                return false;
            }

            /** A call its sender cancelled says nothing about the provider; one that ran out of time is its timeout. */
            private void endedBySender(CallHandle handle, Permit permit) {
                if (handle.timedOut()) {
                    permit.failed(handle.reason());
                } else {
                    permit.release();
                }
            }
        };
    }
}
