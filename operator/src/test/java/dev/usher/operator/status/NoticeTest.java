package dev.usher.operator.status;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.Condition;
import io.fabric8.kubernetes.api.model.ConditionBuilder;
import java.util.List;
import org.junit.jupiter.api.Test;

class NoticeTest {

    private static Condition c(String type, String status, String reason, String message) {
        return new ConditionBuilder().withType(type).withStatus(status).withReason(reason).withMessage(message).build();
    }

    private static List<Condition> progressing() {
        return List.of(c("BackendReady", "False", "Progressing", "0 of 1"), c("ProxyReady", "False", "Progressing", "0 of 2"),
                c("Ready", "False", "Progressing", "backend: 0 of 1"));
    }

    private static List<Condition> ready() {
        return List.of(c("BackendReady", "True", "ReplicasReady", "1 of 1"), c("ProxyReady", "True", "ReplicasReady", "2 of 2"),
                c("Ready", "True", "Serving", "serving"));
    }

    @Test
    void aNewAppThatIsNotReadyYetIsNoNews() {
        assertThat(Notice.between(List.of(), progressing())).isEmpty();
    }

    @Test
    void turningReadyAndBackAreEvents() {
        assertThat(Notice.between(progressing(), ready())).containsExactly(new Notice("Normal", "Ready", "serving"));
        assertThat(Notice.between(ready(), progressing()))
                .containsExactly(new Notice("Warning", "NotReady", "backend: 0 of 1"));
    }

    @Test
    void aFailureIsAnEventOnceNotOnEveryReconcile() {
        List<Condition> inUse = List.of(c("BackendReady", "True", "ReplicasReady", "1 of 1"),
                c("ProxyReady", "False", "NameInUse", "ConfigMap shop-proxy already exists"),
                c("Ready", "False", "NameInUse", "proxy: ConfigMap shop-proxy already exists"));
        assertThat(Notice.between(progressing(), inUse))
                .containsExactly(new Notice("Warning", "NameInUse", "ConfigMap shop-proxy already exists"));
        assertThat(Notice.between(inUse, inUse)).isEmpty();
        assertThat(Notice.between(ready(), ready())).isEmpty();
    }

    @Test
    void theSameFailureOnBothHalvesIsOneEvent() {
        List<Condition> rejected = List.of(c("BackendReady", "False", "InvalidName", "too long"),
                c("ProxyReady", "False", "InvalidName", "too long"), c("Ready", "False", "InvalidName", "too long"));
        assertThat(Notice.between(List.of(), rejected)).containsExactly(new Notice("Warning", "InvalidName", "too long"));
    }
}
