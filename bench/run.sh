#!/usr/bin/env bash
# The performance benchmark (README "Performance"): builds the jar, then runs dev.llmpool.bench.Bench, which
# starts a fast fake Ollama backend and the service as separate processes, drives them with wrk over loopback
# and prints the table. Full run (3 runs per cell, about 10 minutes): bash bench/run.sh
# Quick (1 run, under a minute): bash bench/run.sh --quick     Smoke (seconds, CI): bash bench/run.sh --smoke
# Start-up only (N fresh launches, median): bash bench/run.sh --startup 7
# Other cells: --cells doors,auth,log,ttft,streams,hedge,kafka,targets (or all; default latency,inflight), e.g.
#   bash bench/run.sh --quick --cells ttft      Every cell, full: bash bench/run.sh --cells all
set -euo pipefail
cd "$(dirname "$0")/.."
if ! command -v wrk >/dev/null; then
  echo "installing wrk (Debian package)"; apt-get update -qq && apt-get install -y -qq wrk >/dev/null
fi
mvn -B -q -ntp package -DskipTests -Dmaven.test.skip.exec=true
kafka=()
if [[ " $* " =~ [\ ,](kafka|all)[\ ,] ]]; then
  # the kafka cell's broker runs on Kafka's server jars (test scope): their class path, for its own process
  mvn -B -q -ntp dependency:build-classpath -Dmdep.includeScope=test -Dmdep.outputFile=target/bench-kafka.cp
  kafka=(--kafka-cp "$(cat target/bench-kafka.cp)")
fi
exec java -cp target/test-classes:target/llm-pool.jar dev.llmpool.bench.Bench "$@" "${kafka[@]}"
