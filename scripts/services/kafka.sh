#!/usr/bin/env bash
# Single-node Kafka broker in KRaft mode, run from its Maven Central jars (no tarball, no Docker).
# Usage: kafka.sh install|start|stop|health
# The Prometheus JMX exporter rides along as a java agent, always (one small HTTP listener, work only
# when scraped): broker metrics on 127.0.0.1:$KAFKA_METRICS_PORT/metrics (kafka/jmx-exporter.yml).
source "$(dirname "$0")/lib.sh"
KAFKA_HOME="$CACHE_DIR/kafka-$KAFKA_VERSION"
JMX_EXPORTER_JAR="$CACHE_DIR/jmx-exporter-$JMX_EXPORTER_VERSION/jmx_prometheus_javaagent-$JMX_EXPORTER_VERSION.jar"
KAFKA_DATA="$DATA_DIR/kafka"
KAFKA_CONF="$SERVICES_DIR/kafka"

install_jmx_exporter() {
  [ -f "$JMX_EXPORTER_JAR" ] && return 0
  command -v mvn >/dev/null || apt_ensure maven
  log "resolving the Prometheus JMX exporter agent $JMX_EXPORTER_VERSION from Maven Central (once)"
  local dir; dir="$(dirname "$JMX_EXPORTER_JAR")"
  rm -rf "$dir.tmp"
  mvn -q -B dependency:copy -Dartifact="io.prometheus.jmx:jmx_prometheus_javaagent:$JMX_EXPORTER_VERSION" \
    -DoutputDirectory="$dir.tmp" >"$LOG_DIR/jmx-exporter-install.log" 2>&1 \
    || die "could not resolve the JMX exporter agent (see $LOG_DIR/jmx-exporter-install.log)"
  mv "$dir.tmp" "$dir"
}

install() {
  command -v java >/dev/null || apt_ensure openjdk-17-jre-headless
  install_jmx_exporter
  if [ -f "$KAFKA_HOME/.complete" ]; then return 0; fi
  command -v mvn >/dev/null || apt_ensure maven
  log "resolving Kafka $KAFKA_VERSION jars from Maven Central (once)"
  mkdir -p "$KAFKA_HOME/libs"
  mvn -q -B -f "$(dirname "$0")/kafka/pom.xml" -Dkafka.version="$KAFKA_VERSION" \
    dependency:copy-dependencies -DoutputDirectory="$KAFKA_HOME/libs" -DincludeScope=runtime \
    >"$LOG_DIR/kafka-install.log" 2>&1 || die "could not resolve Kafka jars (see $LOG_DIR/kafka-install.log)"
  touch "$KAFKA_HOME/.complete"
}

# The classpath wildcard is expanded by java itself, so it must stay quoted.
JAVA_CMD=(java -Xms256m "-Xmx${SOMA_KAFKA_HEAP:-768m}" -XX:+UseG1GC -Djava.awt.headless=true
  "-Dlog4j2.configurationFile=$KAFKA_CONF/log4j2.properties" -cp "$KAFKA_HOME/libs/*")

write_config() {
  mkdir -p "$KAFKA_CONF" "$KAFKA_DATA"
  cat >"$KAFKA_CONF/server.properties" <<PROPS
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@127.0.0.1:$KAFKA_CONTROLLER_PORT
listeners=PLAINTEXT://127.0.0.1:$KAFKA_PORT,CONTROLLER://127.0.0.1:$KAFKA_CONTROLLER_PORT
advertised.listeners=PLAINTEXT://127.0.0.1:$KAFKA_PORT
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT
log.dirs=$KAFKA_DATA
num.partitions=3
auto.create.topics.enable=false
offsets.topic.replication.factor=1
offsets.topic.num.partitions=10
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
share.coordinator.state.topic.replication.factor=1
share.coordinator.state.topic.min.isr=1
group.initial.rebalance.delay.ms=0
log.retention.hours=168
PROPS
  cat >"$KAFKA_CONF/log4j2.properties" <<PROPS
status = warn
appender.out.type = Console
appender.out.name = STDOUT
appender.out.layout.type = PatternLayout
appender.out.layout.pattern = [%d] %p %m (%c)%n
rootLogger.level = warn
rootLogger.appenderRef.out.ref = STDOUT
logger.kafka.name = kafka.server.KafkaRaftServer
logger.kafka.level = info
PROPS
}

health() { (exec 3<>"/dev/tcp/127.0.0.1/$KAFKA_PORT") 2>/dev/null; }

start() {
  install
  if running_pid kafka >/dev/null && health; then ok "kafka already running on :$KAFKA_PORT"; return 0; fi
  reserve_port kafka "$KAFKA_PORT" SOMA_KAFKA_PORT
  reserve_port kafka-controller "$KAFKA_CONTROLLER_PORT" SOMA_KAFKA_CONTROLLER_PORT
  write_config
  if [ ! -f "$KAFKA_DATA/meta.properties" ]; then
    local cluster_id
    cluster_id="$("${JAVA_CMD[@]}" kafka.tools.StorageTool random-uuid 2>>"$LOG_DIR/kafka.log")"
    log "formatting Kafka KRaft storage (cluster $cluster_id)"
    "${JAVA_CMD[@]}" kafka.tools.StorageTool format -t "$cluster_id" -c "$KAFKA_CONF/server.properties" >>"$LOG_DIR/kafka.log" 2>&1 \
      || { tail -n 20 "$LOG_DIR/kafka.log" >&2; die "kafka storage format failed"; }
  fi
  reserve_port kafka-metrics "$KAFKA_METRICS_PORT" SOMA_KAFKA_METRICS_PORT
  spawn kafka "${JAVA_CMD[@]}" "-javaagent:$JMX_EXPORTER_JAR=127.0.0.1:$KAFKA_METRICS_PORT:$ROOT/scripts/services/kafka/jmx-exporter.yml" \
    kafka.Kafka "$KAFKA_CONF/server.properties"
  wait_for kafka 90 health
  ok "kafka ready on :$KAFKA_PORT"
}

stop() { stop_service kafka; }

"${1:?usage: kafka.sh install|start|stop|health}"
