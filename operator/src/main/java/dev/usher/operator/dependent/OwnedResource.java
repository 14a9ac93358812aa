package dev.usher.operator.dependent;

import com.fasterxml.jackson.databind.JsonNode;
import dev.usher.operator.dependent.Labels.Component;
import dev.usher.operator.resource.ProxiedApp;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.ObjectMeta;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.zjsonpatch.JsonDiff;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.processing.dependent.kubernetes.CRUDKubernetesDependentResource;
import io.javaoperatorsdk.operator.processing.event.ResourceID;
import java.net.HttpURLConnection;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * One object a ProxiedApp owns. Subclasses only build the desired object; this class adds what every
 * owned object shares: labels, a controller owner reference, a hash of the desired state, matching
 * without server-side apply, and refusing to take over an object that someone else owns.
 */
public abstract class OwnedResource<R extends HasMetadata> extends CRUDKubernetesDependentResource<R, ProxiedApp> {

    /** Hash of the desired object as last written: see {@link #match}. */
    public static final String SPEC_HASH = "usher.dev/spec-hash";

    private static final Pattern QUANTITY = Pattern.compile("/resources/(limits|requests)/");

    private final Component component;

    protected OwnedResource(Class<R> type, Component component) {
        super(type);
        this.component = component;
    }

    /** Which half of the app this object belongs to: its failures show on that half's condition. */
    public Component component() {
        return component;
    }

    /** The object's name, derived from the app's: see {@link Names}. */
    public abstract String name(ProxiedApp app);

    /** The desired object, without the labels and annotations this class adds. */
    protected abstract R build(ProxiedApp app, Inputs inputs);

    /** "Deployment shop-proxy", for messages. */
    public String describe(ProxiedApp app) {
        return resourceType().getSimpleName() + " " + name(app);
    }

    /** Saves building the whole desired object just to find the cached one. */
    @Override
    protected ResourceID targetSecondaryResourceID(ProxiedApp app, Context<ProxiedApp> context) {
        return new ResourceID(name(app), app.getMetadata().getNamespace());
    }

    @Override
    protected final R desired(ProxiedApp app, Context<ProxiedApp> context) {
        Inputs inputs = context.managedWorkflowAndDependentResourceContext().getMandatory(Inputs.class, Inputs.class);
        R desired = build(app, inputs);
        desired.getMetadata().getLabels().putAll(Labels.of(app, component));
        String json = context.getClient().getKubernetesSerialization().asJson(desired);
        desired.getMetadata().getAnnotations().put(SPEC_HASH, Checksums.sha256(json));
        return desired;
    }

    /**
     * Name, namespace and the owner reference: garbage collection deletes the object with its app. JOSDK
     * would add a plain reference; this one also marks the app as the controller, as kubectl and other
     * controllers expect of an object's manager.
     */
    protected ObjectMeta meta(ProxiedApp app) {
        return new ObjectMetaBuilder()
                .withName(name(app))
                .withNamespace(app.getMetadata().getNamespace())
                .addNewOwnerReference()
                    .withApiVersion(app.getApiVersion())
                    .withKind(app.getKind())
                    .withName(app.getMetadata().getName())
                    .withUid(app.getMetadata().getUid())
                    .withController(true)
                    .withBlockOwnerDeletion(true)
                .endOwnerReference()
                .build();
    }

    /**
     * Without server-side apply there are no managed fields to tell which fields are ours, and JOSDK's
     * generic matcher accepts any field the server added, so it misses an item removed from a list (an
     * env var, say). The hash of the desired object catches every change of the ProxiedApp; the drift
     * check catches someone else changing a field that we set (e.g. scaling the Deployment by hand). It
     * skips resource quantities, which the API server rewrites in canonical form ("1000m" to "1"): a
     * change of ours there changes the hash anyway.
     */
    @Override
    public Result<R> match(R actual, R desired, ProxiedApp app, Context<ProxiedApp> context) {
        if (useSSA(context)) {
            return super.match(actual, desired, app, context);
        }
        boolean sameHash = Objects.equals(annotation(actual, SPEC_HASH), annotation(desired, SPEC_HASH));
        return Result.computed(sameHash && !drifted(desired, actual, context), desired);
    }

    private static boolean drifted(HasMetadata desired, HasMetadata actual, Context<ProxiedApp> context) {
        var serialization = context.getClient().getKubernetesSerialization();
        JsonNode diff = JsonDiff.asJson(
                serialization.convertValue(desired, JsonNode.class),
                serialization.convertValue(actual, JsonNode.class));
        for (JsonNode op : diff) {
            String path = op.get("path").asText();
            boolean ours = path.startsWith("/metadata/labels/") || path.startsWith("/metadata/annotations/")
                    || !(path.startsWith("/metadata") || path.startsWith("/status") || path.startsWith("/kind")
                            || path.startsWith("/apiVersion"));
            if (ours && !"add".equals(op.get("op").asText()) && !QUANTITY.matcher(path).find()) {
                return true;
            }
        }
        return false;
    }

    /**
     * The informers see only objects with our labels, so an object of the same name made by someone
     * else (or owned by another ProxiedApp) is first met by a write. It is left alone. A plain create
     * fails on it with a conflict; a server-side apply would take it over, so that mode looks first.
     */
    @Override
    public R create(R desired, ProxiedApp app, Context<ProxiedApp> context) {
        if (useSSA(context)) {
            R existing = context.getClient().resource(desired).get();
            if (existing != null && !isOwnedBy(existing, app)) {
                throw new NameInUseException(desired.getKind(), desired.getMetadata().getName(), holder(existing));
            }
            return super.create(desired, app, context);
        }
        try {
            return super.create(desired, app, context);
        } catch (KubernetesClientException e) {
            if (e.getCode() != HttpURLConnection.HTTP_CONFLICT) {
                throw e;
            }
            R existing = context.getClient().resource(desired).get();
            if (existing == null || isOwnedBy(existing, app)) {
                throw e; // our own object, not yet in the informer cache: a retry resolves it
            }
            throw new NameInUseException(desired.getKind(), desired.getMetadata().getName(), holder(existing));
        }
    }

    private static boolean isOwnedBy(HasMetadata object, ProxiedApp app) {
        return object.getMetadata().getOwnerReferences().stream()
                .anyMatch(ref -> Objects.equals(ref.getUid(), app.getMetadata().getUid()));
    }

    private static String holder(HasMetadata existing) {
        return existing.getMetadata().getOwnerReferences().stream()
                .findFirst()
                .map(ref -> "owned by " + ref.getKind() + " " + ref.getName())
                .orElse("not created by this ProxiedApp");
    }

    private static String annotation(HasMetadata object, String key) {
        return object.getMetadata().getAnnotations() == null ? null : object.getMetadata().getAnnotations().get(key);
    }
}
