package dev.llmpool.lifecycle;

import java.util.concurrent.Executors;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Threads of the pool's own executors: named after their job (seen in thread dumps) and daemon, so that none keeps
 * the JVM running once the context has stopped (the busiest are also shut down with it: PoolBeans).
 */
public final class DaemonThreads {

    private DaemonThreads() {
    }

    public static ThreadFactory named(String name) {
        AtomicInteger counter = new AtomicInteger();
        ThreadFactory base = Executors.defaultThreadFactory();
        return r -> {
            Thread t = base.newThread(r);
            t.setName(name + "-" + counter.incrementAndGet());
            t.setDaemon(true);
            return t;
        };
    }
}
