#!/usr/bin/env bash
# The Kafka door in one command (docs/queues.md): a single-node Kafka broker (KRaft) from Apache Kafka's own jars
# on Maven Central, a model server that speaks Ollama's API (the tests' fake backend), and the pool configured with
# pool.kafka.bootstrap-servers; then a few requests through Kafka, their answers printed, and everything stopped.
# No Docker, no root: Java 17 and Maven. Everything runs on loopback, in a temp directory removed at the end.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
WORK="$(mktemp -d -t llmpool-demo-XXXXXX)"
PIDS=()

cleanup() {
  local status=$?
  exec 3>&- 2>/dev/null || true                    # the model server exits when its stdin closes
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
  if [ "$status" -ne 0 ]; then
    echo "--- demo failed; last lines of the logs:" >&2
    tail -n 20 "$WORK"/*.log >&2 2>/dev/null || true
  fi
  rm -rf "$WORK"
  exit "$status"
}
trap cleanup EXIT INT TERM

free_port() {  # a port nothing listens on (20000-29999)
  local p
  while :; do
    p=$((20000 + RANDOM % 10000))
    (exec 9<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null || { echo "$p"; return; }
  done
}

wait_for_port() {  # port, what, seconds
  for _ in $(seq 1 $(($3 * 5))); do
    (exec 9<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0
    sleep 0.2
  done
  echo "$2 did not start on port $1" >&2
  return 1
}

echo "== building (mvn test-compile) and resolving the classpaths"
cd "$ROOT"
mvn -B -q -ntp test-compile
mvn -B -q -ntp dependency:build-classpath -Dmdep.includeScope=runtime -Dmdep.outputFile="$WORK/pool.cp" >/dev/null
mvn -B -q -ntp -f scripts/kafka/pom.xml dependency:build-classpath -Dmdep.outputFile="$WORK/kafka.cp" >/dev/null
POOL_CP="$ROOT/target/classes:$ROOT/target/test-classes:$(cat "$WORK/pool.cp")"
KAFKA_CP="$(cat "$WORK/kafka.cp")"

KAFKA_PORT=$(free_port); CONTROLLER_PORT=$(free_port); HTTP_PORT=$(free_port); GRPC_PORT=$(free_port)
BOOTSTRAP="127.0.0.1:$KAFKA_PORT"

echo "== starting Kafka 4.4.0 (KRaft, one node) on $BOOTSTRAP"
cat > "$WORK/server.properties" <<PROPS
process.roles=broker,controller
node.id=1
controller.quorum.bootstrap.servers=127.0.0.1:$CONTROLLER_PORT
listeners=PLAINTEXT://127.0.0.1:$KAFKA_PORT,CONTROLLER://127.0.0.1:$CONTROLLER_PORT
advertised.listeners=PLAINTEXT://127.0.0.1:$KAFKA_PORT
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT
log.dirs=$WORK/kafka-logs
num.partitions=4
offsets.topic.replication.factor=1
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
share.coordinator.state.topic.replication.factor=1
share.coordinator.state.topic.min.isr=1
group.initial.rebalance.delay.ms=0
log.cleaner.dedupe.buffer.size=4194304
PROPS
KAFKA_JAVA=(java -Xmx512m -Dorg.slf4j.simpleLogger.defaultLogLevel=warn -cp "$KAFKA_CP")
CLUSTER_ID=$("${KAFKA_JAVA[@]}" kafka.tools.StorageTool random-uuid)
"${KAFKA_JAVA[@]}" kafka.tools.StorageTool format --standalone -t "$CLUSTER_ID" -c "$WORK/server.properties" > "$WORK/kafka-format.log"
"${KAFKA_JAVA[@]}" kafka.Kafka "$WORK/server.properties" > "$WORK/kafka.log" 2>&1 &
PIDS+=($!)
wait_for_port "$KAFKA_PORT" Kafka 60

echo "== starting a model server (Ollama's API; phi3:mini, llama3.1:8b, gemma2:9b)"
exec 3> >(java -cp "$POOL_CP" dev.llmpool.queues.DemoBackend > "$WORK/backend.log" 2>&1)
PIDS+=($!)
for _ in $(seq 1 600); do grep -q '^READY ' "$WORK/backend.log" 2>/dev/null && break; sleep 0.2; done
BACKEND_URL=$(sed -n 's/^READY //p' "$WORK/backend.log")
[ -n "$BACKEND_URL" ] || { echo "the model server did not start" >&2; exit 1; }

echo "== starting the pool on http://127.0.0.1:$HTTP_PORT with pool.kafka.bootstrap-servers=$BOOTSTRAP"
mkdir -p "$WORK/pool"
cp -r "$ROOT/routes" "$ROOT/prompts" "$WORK/pool/"
# a fresh JVM's first requests are slow: a longer deadline than the shipped 1.5 s, so that they show answers
sed -e "s#^pool.providers.\([a-z0-9]*\).url=.*#pool.providers.\1.url=$BACKEND_URL#" \
    -e "s#^pool.kafka.bootstrap-servers=.*#pool.kafka.bootstrap-servers=$BOOTSTRAP#" \
    -e "s#^pool.http.port=.*#pool.http.port=$HTTP_PORT#" \
    -e "s#^pool.grpc.port=.*#pool.grpc.port=$GRPC_PORT#" \
    -e "s#^pool.limits.max-deadline-ms=.*#pool.limits.max-deadline-ms=20000#" \
    "$ROOT/application.properties" > "$WORK/pool/application.properties"
(cd "$WORK/pool" && exec java -cp "$POOL_CP" dev.llmpool.Application > "$WORK/pool.log" 2>&1) &
PIDS+=($!)
wait_for_port "$HTTP_PORT" "the pool" 120

echo "== sending requests to llm.requests and reading llm.replies"
java -cp "$POOL_CP" dev.llmpool.queues.KafkaDemoClient "$BOOTSTRAP" 2>>"$WORK/client.log"
echo "== done; stopping the pool, the model server and Kafka"
