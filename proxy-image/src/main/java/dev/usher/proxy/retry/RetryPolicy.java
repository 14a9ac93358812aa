package dev.usher.proxy.retry;

import io.netty.handler.codec.http.HttpMethod;
import java.util.Set;

/**
 * When a failed attempt may be tried again on another upstream. A connect failure is always safe: nothing was
 * sent. Once a request was sent, only an idempotent request without a body is repeated: its body, if any, was
 * streamed on and is not kept.
 */
public final class RetryPolicy {
    private static final Set<HttpMethod> IDEMPOTENT = Set.of(
            HttpMethod.GET, HttpMethod.HEAD, HttpMethod.OPTIONS, HttpMethod.TRACE, HttpMethod.PUT, HttpMethod.DELETE);

    private final int attempts;
    private final RetryBudget budget;

    public RetryPolicy(int attempts, RetryBudget budget) {
        this.attempts = attempts;
        this.budget = budget;
    }

    public void requestStarted() {
        budget.requestStarted();
    }

    /**
     * @param attemptsMade attempts already made for this request
     * @param requestSent whether any byte of the request reached the failed upstream
     * @param hasBody whether the request carries a body
     */
    public boolean mayRetry(int attemptsMade, boolean requestSent, HttpMethod method, boolean hasBody) {
        if (attemptsMade >= attempts) {
            return false;
        }
        if (requestSent && (hasBody || !IDEMPOTENT.contains(method))) {
            return false;
        }
        return budget.tryRetry();
    }
}
