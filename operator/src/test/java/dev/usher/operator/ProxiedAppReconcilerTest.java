package dev.usher.operator;

import static org.assertj.core.api.Assertions.assertThat;

import dev.usher.operator.resource.ProxiedApp;
import dev.usher.operator.status.Failure;
import dev.usher.operator.testing.TestApps;
import org.junit.jupiter.api.Test;

/**
 * The names the operator refuses before it writes anything. A real API server refuses them first, by
 * the CRD's CEL rules (OperatorIT); this is for one that does not run them.
 */
class ProxiedAppReconcilerTest {

    @Test
    void aNameTooLongForTheServicesIsRejected() {
        ProxiedApp app = TestApps.stored("a", "a".repeat(ProxiedApp.MAX_NAME_LENGTH + 1), "image: shop:1");
        assertThat(ProxiedAppReconciler.rejection(app)).hasValueSatisfying(r -> {
            assertThat(r.reason()).isEqualTo(Failure.INVALID_NAME);
            assertThat(r.message()).contains("more than " + ProxiedApp.MAX_NAME_LENGTH);
        });
    }

    @Test
    void aNameThatCannotNameAServiceIsRejected() {
        ProxiedApp app = TestApps.stored("a", "1shop", "image: shop:1");
        assertThat(ProxiedAppReconciler.rejection(app)).hasValueSatisfying(r ->
                assertThat(r.reason()).isEqualTo(Failure.INVALID_NAME));
    }

    @Test
    void aGoodNameIsAccepted() {
        assertThat(ProxiedAppReconciler.rejection(TestApps.stored("a", "shop", "image: shop:1"))).isEmpty();
    }
}
