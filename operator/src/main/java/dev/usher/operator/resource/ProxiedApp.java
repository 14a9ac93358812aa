package dev.usher.operator.resource;

import io.fabric8.crd.generator.annotation.AdditionalPrinterColumn;
import io.fabric8.crd.generator.annotation.AdditionalPrinterColumn.Type;
import io.fabric8.generator.annotation.ValidationRule;
import io.fabric8.kubernetes.api.model.Namespaced;
import io.fabric8.kubernetes.client.CustomResource;
import io.fabric8.kubernetes.model.annotation.Group;
import io.fabric8.kubernetes.model.annotation.ShortNames;
import io.fabric8.kubernetes.model.annotation.Version;

/**
 * One app behind the Usher proxy: the backend pods run {@code spec.image}; a proxy Deployment in front
 * of them follows their EndpointSlices. The root rules keep the name usable for every object the
 * operator derives from it: the longest is the Service {@code <name>-backend}, and Service names are
 * DNS-1035 labels (at most 63 characters, starting with a letter).
 */
@Group(ProxiedApp.GROUP)
@Version(ProxiedApp.VERSION)
@ShortNames("papp")
@ValidationRule(
        value = "size(self.metadata.name) <= " + ProxiedApp.MAX_NAME_LENGTH,
        message = "metadata.name must be at most " + ProxiedApp.MAX_NAME_LENGTH
                + " characters: the operator derives <name>-backend, a Service name (at most 63)")
@ValidationRule(
        value = "self.metadata.name.matches('" + ProxiedApp.NAME_PATTERN + "')",
        message = "metadata.name must start with a letter and hold only a-z, 0-9 and '-':"
                + " it names Services, which are DNS-1035 labels")
@ValidationRule(value = "has(self.spec)", message = "spec is required")
@AdditionalPrinterColumn(name = "Replicas", jsonPath = ".spec.replicas", type = Type.INTEGER)
@AdditionalPrinterColumn(name = "Ready", jsonPath = ".status.readyReplicas", type = Type.INTEGER)
@AdditionalPrinterColumn(name = "Upstreams", jsonPath = ".status.upstreams", type = Type.INTEGER)
@AdditionalPrinterColumn(name = "URL", jsonPath = ".status.url")
@AdditionalPrinterColumn(name = "Age", jsonPath = ".metadata.creationTimestamp", type = Type.DATE)
public class ProxiedApp extends CustomResource<ProxiedAppSpec, ProxiedAppStatus> implements Namespaced {

    public static final String GROUP = "usher.dev";
    public static final String VERSION = "v1alpha1";
    /** 63 (a DNS label) less the length of "-backend". */
    public static final int MAX_NAME_LENGTH = 55;
    public static final String NAME_PATTERN = "^[a-z]([-a-z0-9]*[a-z0-9])?$";
}
