package dev.usher.kube;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.usher.kube.junit.ControlPlaneExtension;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.ServiceAccountBuilder;
import io.fabric8.kubernetes.api.model.apps.DeploymentBuilder;
import io.fabric8.kubernetes.api.model.rbac.RoleBindingBuilder;
import io.fabric8.kubernetes.api.model.rbac.RoleBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.nio.file.Files;
import java.time.Duration;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** The control plane the operator's tests run on: its controllers run, and RBAC decides for ServiceAccounts. */
@ExtendWith(ControlPlaneExtension.class)
class ControlPlaneIT {

    private static ControlPlane plane;
    private static KubernetesClient admin;

    @BeforeAll
    static void start(ControlPlane controlPlane) {
        plane = controlPlane;
        admin = plane.admin();
        admin.resource(new NamespaceBuilder().withNewMetadata().withName("cp").endMetadata().build()).create();
    }

    @Test
    void listensOnLoopbackAndWritesAnAdminKubeconfig() throws Exception {
        assertThat(plane.url()).startsWith("https://127.0.0.1:");
        assertThat(Files.readString(plane.adminKubeconfig())).contains(plane.url());
        assertThat(admin.getKubernetesVersion().getGitVersion()).isEqualTo("v" + ControlPlane.KUBERNETES_VERSION);
    }

    @Test
    void theControllersTurnADeploymentIntoPods() {
        admin.resource(new DeploymentBuilder().withNewMetadata().withName("web").withNamespace("cp").endMetadata()
                .withNewSpec().withReplicas(2)
                    .withNewSelector().addToMatchLabels("app", "web").endSelector()
                    .withNewTemplate().withNewMetadata().addToLabels("app", "web").endMetadata()
                        .withNewSpec().addNewContainer().withName("web").withImage("web:1").endContainer().endSpec()
                    .endTemplate()
                .endSpec().build()).create();
        await().atMost(Duration.ofSeconds(30)).until(() ->
                admin.pods().inNamespace("cp").withLabel("app", "web").list().getItems().size() == 2);
    }

    @Test
    void aServiceAccountGetsExactlyItsRbac() {
        admin.resource(new ServiceAccountBuilder().withNewMetadata().withName("reader").withNamespace("cp")
                .endMetadata().build()).create();
        admin.resource(new RoleBuilder().withNewMetadata().withName("reader").withNamespace("cp").endMetadata()
                .addNewRule().withApiGroups("").withResources("configmaps").withVerbs("list").endRule().build()).create();
        admin.resource(new RoleBindingBuilder().withNewMetadata().withName("reader").withNamespace("cp").endMetadata()
                .withNewRoleRef().withApiGroup("rbac.authorization.k8s.io").withKind("Role").withName("reader")
                .endRoleRef()
                .addNewSubject().withKind("ServiceAccount").withName("reader").withNamespace("cp").endSubject()
                .build()).create();
        try (KubernetesClient reader = plane.clientFor("cp", "reader")) {
            assertThat(reader.configMaps().inNamespace("cp").list().getItems())
                    .as("kube-root-ca.crt, made by a controller").isNotEmpty();
            assertThatThrownBy(() -> reader.secrets().inNamespace("cp").list())
                    .isInstanceOf(KubernetesClientException.class)
                    .satisfies(e -> assertThat(((KubernetesClientException) e).getCode()).isEqualTo(403));
        }
    }
}
