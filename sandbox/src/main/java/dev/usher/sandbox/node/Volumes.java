package dev.usher.sandbox.node;

import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.KeyToPath;
import io.fabric8.kubernetes.api.model.ObjectFieldSelector;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.ServiceAccountTokenProjection;
import io.fabric8.kubernetes.api.model.Volume;
import io.fabric8.kubernetes.api.model.VolumeMount;
import io.fabric8.kubernetes.api.model.VolumeProjection;
import io.fabric8.kubernetes.api.model.authentication.TokenRequestBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * A pod's volumes as folders under its own folder, mounted at their mountPaths inside the pod's
 * mount namespace: emptyDir, configMap, secret, downwardAPI, hostPath and projected, including the
 * ServiceAccount token that ServiceAccount admission adds (a TokenRequest bound to the pod, renewed
 * at 80% of its life, as the kubelet does) with the cluster CA and the namespace beside it.
 */
final class Volumes {

    private final KubernetesClient client;
    private final Pod pod;
    private final Path dir;
    private final Map<String, Path> sources = new HashMap<>();
    private final List<TokenFile> tokens = new ArrayList<>();

    /** A projected token file and when to renew it. */
    private record TokenFile(Path file, ServiceAccountTokenProjection projection, long[] renewAt) {
    }

    Volumes(KubernetesClient client, Pod pod, Path dir) {
        this.client = client;
        this.pod = pod;
        this.dir = dir;
    }

    /** Writes every volume's files; throws with a reason for a volume the sandbox cannot provide. */
    void prepare() throws IOException {
        if (pod.getSpec().getVolumes() == null) {
            return;
        }
        for (Volume v : pod.getSpec().getVolumes()) {
            Path target = Files.createDirectories(dir.resolve("volumes").resolve(v.getName()));
            if (v.getEmptyDir() != null) {
                sources.put(v.getName(), target);
            } else if (v.getHostPath() != null) {
                sources.put(v.getName(), Path.of(v.getHostPath().getPath()));
            } else if (v.getConfigMap() != null) {
                configMap(v.getConfigMap().getName(), v.getConfigMap().getItems(), target,
                        Boolean.TRUE.equals(v.getConfigMap().getOptional()));
                sources.put(v.getName(), target);
            } else if (v.getSecret() != null) {
                secret(v.getSecret().getSecretName(), v.getSecret().getItems(), target,
                        Boolean.TRUE.equals(v.getSecret().getOptional()));
                sources.put(v.getName(), target);
            } else if (v.getDownwardAPI() != null) {
                for (var item : v.getDownwardAPI().getItems()) {
                    write(target.resolve(item.getPath()), field(item.getFieldRef()));
                }
                sources.put(v.getName(), target);
            } else if (v.getProjected() != null) {
                for (VolumeProjection p : v.getProjected().getSources()) {
                    project(p, target);
                }
                sources.put(v.getName(), target);
            } else {
                throw new IOException("volume " + v.getName() + ": its type is not one the sandbox provides"
                        + " (emptyDir, configMap, secret, downwardAPI, projected, hostPath)");
            }
        }
    }

    private void project(VolumeProjection p, Path target) throws IOException {
        if (p.getServiceAccountToken() != null) {
            TokenFile token = new TokenFile(target.resolve(p.getServiceAccountToken().getPath()),
                    p.getServiceAccountToken(), new long[1]);
            tokens.add(token);
            renew(token);
        } else if (p.getConfigMap() != null) {
            configMap(p.getConfigMap().getName(), p.getConfigMap().getItems(), target,
                    Boolean.TRUE.equals(p.getConfigMap().getOptional()));
        } else if (p.getSecret() != null) {
            secret(p.getSecret().getName(), p.getSecret().getItems(), target, Boolean.TRUE.equals(p.getSecret().getOptional()));
        } else if (p.getDownwardAPI() != null) {
            for (var item : p.getDownwardAPI().getItems()) {
                write(target.resolve(item.getPath()), field(item.getFieldRef()));
            }
        }
    }

    /** Renews the tokens that are past 80% of their life. */
    void renewTokens() throws IOException {
        for (TokenFile token : tokens) {
            if (System.nanoTime() - token.renewAt()[0] >= 0) {
                renew(token);
            }
        }
    }

    private void renew(TokenFile token) throws IOException {
        long seconds = token.projection().getExpirationSeconds() == null ? 3600 : token.projection().getExpirationSeconds();
        var request = new TokenRequestBuilder().withNewSpec()
                .withAudiences(token.projection().getAudience() == null ? null : List.of(token.projection().getAudience()))
                .withExpirationSeconds(seconds)
                .withNewBoundObjectRef().withApiVersion("v1").withKind("Pod")
                    .withName(pod.getMetadata().getName()).withUid(pod.getMetadata().getUid()).endBoundObjectRef()
                .endSpec().build();
        String serviceAccount = pod.getSpec().getServiceAccountName() == null ? "default" : pod.getSpec().getServiceAccountName();
        var status = client.serviceAccounts().inNamespace(pod.getMetadata().getNamespace()).withName(serviceAccount)
                .tokenRequest(request).getStatus();
        write(token.file(), status.getToken());
        token.renewAt()[0] = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds * 8 / 10);
    }

    private void configMap(String name, List<KeyToPath> items, Path target, boolean optional) throws IOException {
        ConfigMap cm = client.configMaps().inNamespace(pod.getMetadata().getNamespace()).withName(name).get();
        if (cm == null) {
            if (optional) {
                return;
            }
            throw new IOException("configmap \"" + name + "\" not found");
        }
        Map<String, String> data = cm.getData() == null ? Map.of() : cm.getData();
        writeItems(data, items, target);
    }

    private void secret(String name, List<KeyToPath> items, Path target, boolean optional) throws IOException {
        Secret secret = client.secrets().inNamespace(pod.getMetadata().getNamespace()).withName(name).get();
        if (secret == null) {
            if (optional) {
                return;
            }
            throw new IOException("secret \"" + name + "\" not found");
        }
        Map<String, String> data = new HashMap<>();
        if (secret.getData() != null) {
            secret.getData().forEach((k, v) -> data.put(k, new String(Base64.getDecoder().decode(v), StandardCharsets.UTF_8)));
        }
        writeItems(data, items, target);
    }

    private static void writeItems(Map<String, String> data, List<KeyToPath> items, Path target) throws IOException {
        if (items == null || items.isEmpty()) {
            for (var e : data.entrySet()) {
                write(target.resolve(e.getKey()), e.getValue());
            }
            return;
        }
        for (KeyToPath item : items) {
            if (data.containsKey(item.getKey())) {
                write(target.resolve(item.getPath()), data.get(item.getKey()));
            }
        }
    }

    /** The downward API's fields that a sandbox pod can have. */
    String field(ObjectFieldSelector ref) {
        String path = ref.getFieldPath();
        return switch (path) {
            case "metadata.name" -> pod.getMetadata().getName();
            case "metadata.namespace" -> pod.getMetadata().getNamespace();
            case "metadata.uid" -> pod.getMetadata().getUid();
            case "spec.nodeName" -> pod.getSpec().getNodeName();
            case "spec.serviceAccountName" -> pod.getSpec().getServiceAccountName();
            default -> {
                if (path.startsWith("metadata.labels['") && pod.getMetadata().getLabels() != null) {
                    yield pod.getMetadata().getLabels().getOrDefault(path.substring(17, path.length() - 2), "");
                }
                if (path.startsWith("metadata.annotations['") && pod.getMetadata().getAnnotations() != null) {
                    yield pod.getMetadata().getAnnotations().getOrDefault(path.substring(22, path.length() - 2), "");
                }
                yield "";
            }
        };
    }

    /**
     * A shell script that mounts every volume at its mountPath in the pod's mount namespace. A mount
     * over a parent of the pod's own folder (an emptyDir on /tmp, say) comes last: it hides the
     * sources of the others. The host paths the container runs from ({@code hostPaths}: its program,
     * files and folder, which a container runtime would have in the image) stay visible: one a mount
     * would hide is bound aside first and put back after.
     */
    String mountScript(List<VolumeMount> mounts, List<Path> hostPaths) {
        List<VolumeMount> ordered = new ArrayList<>(mounts == null ? List.of() : mounts);
        ordered.sort(Comparator.comparing(m -> dir.toAbsolutePath().startsWith(Path.of(m.getMountPath()))));
        List<Path> hidden = hostPaths.stream()
                .filter(p -> ordered.stream().anyMatch(m -> p.startsWith(Path.of(m.getMountPath()))))
                .distinct().toList();
        StringBuilder script = new StringBuilder();
        if (!hidden.isEmpty()) {
            Path aside = dir.resolve("kept");
            try {
                Files.createDirectories(aside);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            script.append("mount_point '/run/usher-sandbox-keep' '").append(aside).append("'\n");
        }
        for (int i = 0; i < hidden.size(); i++) {
            Path p = hidden.get(i);
            String make = Files.isDirectory(p) ? "mkdir -p" : "touch";
            script.append(make).append(" '/run/usher-sandbox-keep/").append(i).append("'; mount --bind '").append(p)
                    .append("' '/run/usher-sandbox-keep/").append(i).append("'\n");
        }
        StringBuilder putBack = new StringBuilder();
        for (int i = 0; i < hidden.size(); i++) {
            Path p = hidden.get(i);
            String make = Files.isDirectory(p) ? "mkdir -p '" + p + "'" : "mkdir -p '" + p.getParent() + "' && touch '" + p + "'";
            putBack.append("if [ ! -e '").append(p).append("' ]; then ").append(make).append("; fi; mount --bind '/run/usher-sandbox-keep/")
                    .append(i).append("' '").append(p).append("'\n");
        }
        for (VolumeMount m : ordered) {
            Path source = sources.get(m.getName());
            if (source == null) {
                throw new IllegalArgumentException("volumeMount " + m.getName() + ": no such volume");
            }
            if (m.getSubPath() != null && !m.getSubPath().isEmpty()) {
                source = source.resolve(m.getSubPath());
            }
            script.append("mount_point '").append(m.getMountPath()).append("' '").append(source).append("'\n");
        }
        return script.append(putBack).toString();
    }

    private static void write(Path file, String content) throws IOException {
        Files.createDirectories(file.getParent());
        // A rename, so that a reader never sees half a token.
        Path temporary = file.resolveSibling("." + file.getFileName() + ".tmp");
        Files.writeString(temporary, content);
        Files.move(temporary, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }
}
