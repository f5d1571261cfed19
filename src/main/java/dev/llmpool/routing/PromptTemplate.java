package dev.llmpool.routing;

/** Puts the caller's prompt into a task template at {@code {{prompt}}}, or after it when the template has none. */
public final class PromptTemplate {

    public static final String SLOT = "{{prompt}}";

    private PromptTemplate() {
    }

    public static String render(String template, String prompt) {
        if (template == null || template.isBlank()) {
            return prompt;
        }
        int at = template.indexOf(SLOT);
        if (at < 0) {
            return template.stripTrailing() + "\n\n" + prompt;
        }
        // Only the first slot: a prompt that itself contains "{{prompt}}" is not expanded again.
        return template.substring(0, at) + prompt + template.substring(at + SLOT.length());
    }
}
