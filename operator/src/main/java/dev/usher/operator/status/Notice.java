package dev.usher.operator.status;

import io.fabric8.kubernetes.api.model.Condition;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;

/**
 * An Event to record: one for each failure a condition takes on, and one each time the app turns
 * ready or stops being ready. Nothing while a state lasts, so a resync writes nothing.
 */
public record Notice(String type, String reason, String message) {

    public static final String NORMAL = "Normal";
    public static final String WARNING = "Warning";

    public static List<Notice> between(List<Condition> before, List<Condition> after) {
        Set<Notice> notices = new LinkedHashSet<>();
        for (Condition now : after) {
            Condition then = before.stream().filter(c -> now.getType().equals(c.getType())).findFirst().orElse(null);
            if (StatusCalculator.READY.equals(now.getType())) {
                boolean ready = "True".equals(now.getStatus());
                boolean changed = then == null ? ready : !Objects.equals(then.getStatus(), now.getStatus());
                if (changed) {
                    notices.add(ready ? new Notice(NORMAL, "Ready", now.getMessage())
                            : new Notice(WARNING, "NotReady", now.getMessage()));
                }
            } else if (Failure.REASONS.contains(now.getReason())
                    && (then == null || !Objects.equals(then.getReason(), now.getReason()))) {
                notices.add(new Notice(WARNING, now.getReason(), now.getMessage()));
            }
        }
        return new ArrayList<>(notices);
    }
}
