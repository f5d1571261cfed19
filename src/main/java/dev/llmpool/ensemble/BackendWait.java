package dev.llmpool.ensemble;

/**
 * How long at least one backend call of a request was in flight: the time the request spent waiting on backends,
 * which the overhead histogram subtracts from its total. Only touched under the race's lock, or by the JUDGE route's
 * steps one after the other (JudgeCandidates, JudgeCall, JudgeVerdict).
 */
final class BackendWait {


    private int inFlight;
    private long since;
    private long total;

    void callStarted() {
        if (inFlight++ == 0) {
            since = System.nanoTime();
        }
    }

    void callEnded() {
        if (inFlight > 0 && --inFlight == 0) {
            total += System.nanoTime() - since;
        }
    }

    /** The race is over: calls still running are no longer waited for. */
    void allEnded() {
        if (inFlight > 0) {
            total += System.nanoTime() - since;
            inFlight = 0;
        }
    }

    long nanos() {
        return total;
    }
}
