package dev.usher.operator.resource;

import static org.assertj.core.api.Assertions.fail;

import dev.usher.operator.testing.Cluster;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/** crds/ is checked in for kubectl and Helm; the build fails when it no longer matches the Java types. */
class CrdUpToDateTest {

    static final Path CHECKED_IN = Path.of("../crds/proxiedapps.usher.dev-v1.yml");

    @Test
    void checkedInCrdIsTheGeneratedOne() throws IOException {
        List<String> generated = Files.readAllLines(Cluster.GENERATED_CRD);
        List<String> checkedIn = Files.readAllLines(CHECKED_IN);
        if (generated.equals(checkedIn)) {
            return;
        }
        int line = 0;
        while (line < generated.size() && line < checkedIn.size() && generated.get(line).equals(checkedIn.get(line))) {
            line++;
        }
        fail("""
                crds/proxiedapps.usher.dev-v1.yml is stale: it differs from the CRD generated from the Java types \
                at line %d
                  generated:  %s
                  checked in: %s
                Update it from the repository root with:
                  mvn -q -pl operator process-classes && cp operator/%s crds/""",
                line + 1,
                line < generated.size() ? generated.get(line) : "(end of file)",
                line < checkedIn.size() ? checkedIn.get(line) : "(end of file)",
                Cluster.GENERATED_CRD);
    }
}
