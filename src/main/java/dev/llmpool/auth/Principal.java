package dev.llmpool.auth;

import java.util.Set;

/**
 * The authenticated caller: its tenant, and the narrower task list its token carries ({@code tasks-claim}), if any.
 */
public record Principal(Tenant tenant, Set<String> narrowedTasks) {

    public boolean allows(String task) {
        return tenant.allows(task) && (narrowedTasks == null || narrowedTasks.contains(task));
    }
}
