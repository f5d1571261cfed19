package dev.llmpool.eval;

/**
 * What one row answered for one case. A case is answered when the pool replied 200; any other status is an
 * error and is never judged right or wrong ({@code correct} is null).
 *
 * @param answer    the answer's {@code content} (200), else null
 * @param errorCode the error body's {@code error.code} (not 200), else null
 */
record CaseResult(EvalCase evalCase, String requestId, int status, String answer, Boolean correct, long nanos,
                  long promptTokens, long completionTokens, String winnerProvider, String errorCode,
                  String errorMessage) {

    boolean answered() {
        return status == 200;
    }
}
