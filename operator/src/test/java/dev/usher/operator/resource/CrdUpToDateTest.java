package dev.usher.operator.resource;

import static org.assertj.core.api.Assertions.fail;

import dev.usher.operator.testing.Cluster;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * crds/ is checked in for kubectl, and helm/usher/crds/ for Helm (a chart holds its files). Both must be the CRD
 * generated from the Java types: when one is stale this test writes the generated one into both and fails, so that
 * the build stops on a stale commit, and a rerun passes with the change ready to commit. Nobody copies it by hand.
 */
class CrdUpToDateTest {

    static final Path CHECKED_IN = Path.of("../crds/proxiedapps.usher.dev-v1.yml");
    static final Path IN_CHART = Path.of("../helm/usher/crds/proxiedapps.usher.dev-v1.yml");

    @Test
    void checkedInCrdsAreTheGeneratedOne() throws IOException {
        List<String> generated = Files.readAllLines(Cluster.GENERATED_CRD);
        List<String> stale = new ArrayList<>();
        for (Path copy : List.of(CHECKED_IN, IN_CHART)) {
            List<String> checkedIn = Files.exists(copy) ? Files.readAllLines(copy) : List.of();
            if (generated.equals(checkedIn)) {
                continue;
            }
            int line = 0;
            while (line < generated.size() && line < checkedIn.size() && generated.get(line).equals(checkedIn.get(line))) {
                line++;
            }
            stale.add("%s differed from the CRD generated from the Java types at line %d%n  generated:  %s%n  was:        %s"
                    .formatted(copy.normalize(), line + 1,
                            line < generated.size() ? generated.get(line) : "(end of file)",
                            line < checkedIn.size() ? checkedIn.get(line) : "(end of file)"));
            Files.copy(Cluster.GENERATED_CRD, copy, StandardCopyOption.REPLACE_EXISTING);
        }
        if (!stale.isEmpty()) {
            fail(String.join("\n", stale) + "\nBoth now hold the generated CRD: review and commit them.");
        }
    }
}
