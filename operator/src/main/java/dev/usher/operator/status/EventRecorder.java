package dev.usher.operator.status;

import dev.usher.operator.resource.ProxiedApp;
import io.fabric8.kubernetes.api.model.EventBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.concurrent.ThreadLocalRandom;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Writes core/v1 Events about a ProxiedApp, as `kubectl describe papp` shows them. */
public final class EventRecorder {

    private static final Logger LOG = LoggerFactory.getLogger(EventRecorder.class);
    private static final String COMPONENT = "usher-operator";

    private final String identity;

    public EventRecorder(String identity) {
        this.identity = identity;
    }

    /** An Event that cannot be written is logged and dropped: it must never fail a reconcile. */
    public void record(KubernetesClient client, ProxiedApp app, Notice notice) {
        String now = Instant.now().truncatedTo(ChronoUnit.SECONDS).toString();
        var event = new EventBuilder()
                .withNewMetadata()
                    .withName(app.getMetadata().getName() + "." + Long.toHexString(System.nanoTime())
                            + Integer.toHexString(ThreadLocalRandom.current().nextInt(0x1000)))
                    .withNamespace(app.getMetadata().getNamespace())
                .endMetadata()
                .withNewInvolvedObject()
                    .withApiVersion(app.getApiVersion())
                    .withKind(app.getKind())
                    .withName(app.getMetadata().getName())
                    .withNamespace(app.getMetadata().getNamespace())
                    .withUid(app.getMetadata().getUid())
                    .withResourceVersion(app.getMetadata().getResourceVersion())
                .endInvolvedObject()
                .withType(notice.type())
                .withReason(notice.reason())
                .withMessage(notice.message())
                .withNewSource().withComponent(COMPONENT).endSource()
                .withReportingComponent(COMPONENT)
                .withReportingInstance(identity)
                .withFirstTimestamp(now)
                .withLastTimestamp(now)
                .withCount(1)
                .build();
        try {
            client.v1().events().resource(event).create();
        } catch (KubernetesClientException e) {
            LOG.warn("could not record event {} for {}/{}: {}", notice.reason(), app.getMetadata().getNamespace(),
                    app.getMetadata().getName(), e.getMessage());
        }
    }
}
