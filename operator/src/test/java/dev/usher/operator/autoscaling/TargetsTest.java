package dev.usher.operator.autoscaling;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.autoscaling.v2.HorizontalPodAutoscaler;
import io.fabric8.kubernetes.api.model.autoscaling.v2.HorizontalPodAutoscalerBuilder;
import io.javaoperatorsdk.operator.processing.event.ResourceID;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Which HorizontalPodAutoscalers count as scaling a ProxiedApp, and so conflict with spec.autoscaling. */
class TargetsTest {

    @ParameterizedTest
    @CsvSource({
            "usher.dev/v1alpha1, ProxiedApp, shop, true",
            "usher.dev/v1, ProxiedApp, shop, true",
            "apps/v1, Deployment, shop, false",
            "other.dev/v1, ProxiedApp, shop, false"})
    void anHpaTargetsTheProxiedAppOfItsScaleTargetRefInItsNamespace(String apiVersion, String kind, String name,
                                                                   boolean targets) {
        HorizontalPodAutoscaler hpa = new HorizontalPodAutoscalerBuilder()
                .withNewMetadata().withName("h").withNamespace("prod").endMetadata()
                .withNewSpec()
                    .withNewScaleTargetRef().withApiVersion(apiVersion).withKind(kind).withName(name).endScaleTargetRef()
                    .withMaxReplicas(3)
                .endSpec()
                .build();
        if (targets) {
            assertThat(Targets.target(hpa)).contains(new ResourceID(name, "prod"));
        } else {
            assertThat(Targets.target(hpa)).isEmpty();
        }
    }
}
