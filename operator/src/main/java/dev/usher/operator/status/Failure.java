package dev.usher.operator.status;

import dev.usher.operator.dependent.Labels.Component;
import dev.usher.operator.dependent.NameInUseException;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.net.HttpURLConnection;
import java.util.Set;

/**
 * Why an owned object could not be written, as a condition reason. {@code retry} tells a failure that
 * may pass by itself (a timeout, a server error) from one that needs a person (a name in use, an
 * object the API server calls invalid, missing permissions): retrying those would only load the API
 * server, so they wait for the next change of the ProxiedApp or the periodic resync.
 */
public record Failure(Component component, String reason, String message, boolean retry) {

    public static final String NAME_IN_USE = "NameInUse";
    public static final String INVALID_NAME = "InvalidName";
    public static final String INVALID_SPEC = "InvalidSpec";

    /** Reasons that warrant a Warning event when a condition takes them on. */
    static final Set<String> REASONS = Set.of(NAME_IN_USE, INVALID_NAME, INVALID_SPEC, "Invalid", "Forbidden",
            "ApplyFailed", "ProgressDeadlineExceeded", "ReplicaFailure", StatusCalculator.AUTOSCALING_CONFLICT,
            StatusCalculator.INVALID_AUTOSCALING);

    public static Failure of(Component component, String object, Exception e) {
        if (e instanceof NameInUseException) {
            return new Failure(component, NAME_IN_USE, e.getMessage(), false);
        }
        if (e instanceof KubernetesClientException k) {
            String detail = k.getStatus() != null && k.getStatus().getMessage() != null
                    ? k.getStatus().getMessage() : k.getMessage();
            return switch (k.getCode()) {
                case HttpURLConnection.HTTP_BAD_REQUEST, 422 ->
                        new Failure(component, "Invalid", object + ": " + detail, false);
                case HttpURLConnection.HTTP_FORBIDDEN ->
                        new Failure(component, "Forbidden", object + ": " + detail, false);
                default -> new Failure(component, "ApplyFailed", object + ": " + detail, true);
            };
        }
        return new Failure(component, "ApplyFailed", object + ": " + e, true);
    }
}
