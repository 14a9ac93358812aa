#!/usr/bin/env bash
# Builds and runs the JMH benchmarks of microbench/ (the proxy's discovery merge and EndpointSlice
# propagation) with JMH's gc profiler (allocation per operation), and writes JMH's report to
# bench/results/microbench.txt. Arguments go to JMH: a benchmark regex and options, e.g.
#   bash bench/microbench.sh SliceMergeBench -wi 1 -i 2     (java -jar ... -h lists JMH's options)
# Everything runs in this machine's JVMs; the mock API server listens on 127.0.0.1 only.
set -euo pipefail
cd "$(dirname "$0")/.."
CMD=$(printf '%q ' bash bench/microbench.sh "$@")
# -am builds the proxy the benchmarks link; each module writes its classpath to its own target/.
mvn -B -q -pl microbench -am -DskipTests package dependency:build-classpath \
  -Dmdep.includeScope=runtime -Dmdep.outputFile=target/classpath.txt
mkdir -p bench/results/raw
out=bench/results/microbench.txt
{
  echo "# ${CMD% } on $(date -u '+%Y-%m-%d %H:%M UTC'), nproc $(nproc), $(git rev-parse --short HEAD)"
  # A hard bound on the whole run: the default set takes about 3 minutes.
  timeout 1200 java -cp "microbench/target/classes:$(cat microbench/target/classpath.txt)" org.openjdk.jmh.Main \
    -prof gc -rf json -rff bench/results/raw/microbench.json "$@"
} | tee "$out.partial"
mv "$out.partial" "$out"
