#!/usr/bin/env bash
# A real single-node Apache Kafka broker for hosts without Docker (dev machines, CI, tests).
#
# The broker comes from Apache Kafka's own Maven Central artifacts (see pom.xml) and runs
# with plain `java` in KRaft combined mode (one process is both broker and controller), so
# nothing but a JDK and Maven is needed. One data directory = one broker: its config, pid
# file and log live next to its data, so several brokers (e.g. parallel test sessions) can
# run side by side on different ports and data dirs.
#
# Usage: deploy/kafka/kafka.sh build|start|wait|stop|kill|status
#
# Environment (defaults in brackets):
#   SMARTLINKS_KAFKA_HOME  where the jars go [~/.cache/smartlinks/kafka-<version>]; shared by
#                          every run on the machine, so the download happens once
#   KAFKA_PORT             client listener port [9092]
#   KAFKA_CONTROLLER_PORT  KRaft controller listener port [9093]
#                          Both belong outside the ephemeral port range
#                          (/proc/sys/net/ipv4/ip_local_port_range, 32768-60999 by default):
#                          see warn_ephemeral
#   KAFKA_HOST             address to bind and advertise [127.0.0.1]
#   KAFKA_DATA_DIR         this broker's state: data, config, pid file [$SMARTLINKS_KAFKA_HOME/data]
#   KAFKA_LOG              broker log file [$KAFKA_DATA_DIR/kafka.log]
#   KAFKA_HEAP_OPTS        JVM heap [-Xms256m -Xmx512m]
#   KAFKA_JVM_OPTS         extra JVM flags []
#   KAFKA_AUTO_CREATE_TOPICS  [false] — Smart Links creates its topics itself; a typo in a
#                          topic name should fail loudly, not create a stray topic
#   KAFKA_WAIT_TIMEOUT     seconds `wait` allows for startup [90]
#   KAFKA_STOP_TIMEOUT     seconds `stop` allows a clean shutdown before SIGKILL [30]
#   KAFKA_OWNER_PID        if set, the broker is stopped when that process exits (test
#                          runs set it, so a killed test run leaves no broker behind)
set -euo pipefail

# The version to run, passed on to pom.xml (whose own default is for builds by hand).
# 3.9.x: see pom.xml for why.
KAFKA_VERSION=3.9.2

SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
KAFKA_HOME="${SMARTLINKS_KAFKA_HOME:-${XDG_CACHE_HOME:-$HOME/.cache}/smartlinks/kafka-$KAFKA_VERSION}"
LIB_DIR="$KAFKA_HOME/lib"
KAFKA_HOST="${KAFKA_HOST:-127.0.0.1}"
KAFKA_PORT="${KAFKA_PORT:-9092}"
KAFKA_CONTROLLER_PORT="${KAFKA_CONTROLLER_PORT:-9093}"
KAFKA_DATA_DIR="${KAFKA_DATA_DIR:-$KAFKA_HOME/data}"
KAFKA_LOG="${KAFKA_LOG:-$KAFKA_DATA_DIR/kafka.log}"
KAFKA_HEAP_OPTS="${KAFKA_HEAP_OPTS:--Xms256m -Xmx512m}"
KAFKA_JVM_OPTS="${KAFKA_JVM_OPTS:-}"
KAFKA_AUTO_CREATE_TOPICS="${KAFKA_AUTO_CREATE_TOPICS:-false}"
KAFKA_WAIT_TIMEOUT="${KAFKA_WAIT_TIMEOUT:-90}"
KAFKA_STOP_TIMEOUT="${KAFKA_STOP_TIMEOUT:-30}"
KAFKA_OWNER_PID="${KAFKA_OWNER_PID:-}"
# Absolute paths: the pid check matches the broker's command line, which must not depend
# on the directory `start` and `stop` were called from.
KAFKA_HOME="$(realpath -m "$KAFKA_HOME")"
KAFKA_DATA_DIR="$(realpath -m "$KAFKA_DATA_DIR")"
KAFKA_LOG="$(realpath -m "$KAFKA_LOG")"

# Kafka owns log.dirs (it reads every folder there as a partition), so its segments get a
# subfolder of their own and the config, pid file and log sit beside it.
LOG_DIRS="$KAFKA_DATA_DIR/kraft"
PROPS="$KAFKA_DATA_DIR/server.properties"
PID_FILE="$KAFKA_DATA_DIR/kafka.pid"

say() { echo "kafka.sh: $*" >&2; }
die() { say "$*"; exit 1; }

# The cause of a failed start is usually the first ERROR (and its exception on the next
# lines), far above the shutdown chatter at the end of the log, so show both.
show_log() {
    [[ -f "$KAFKA_LOG" ]] || return 0
    grep -m 1 -A 3 -E '^\[[^]]*\] (ERROR|FATAL) ' "$KAFKA_LOG" | cut -c 1-500 >&2 || true
    echo "..." >&2
    tail -n 15 "$KAFKA_LOG" >&2
}

# apt-get install what `build` needs on a bare Debian/Ubuntu host (CI starts from one).
install_tools() {
    local missing=()
    command -v java >/dev/null || missing+=(openjdk-17-jre-headless)
    command -v mvn >/dev/null || missing+=(maven)
    [[ ${#missing[@]} -eq 0 ]] && return 0
    if [[ $EUID -ne 0 ]] || ! command -v apt-get >/dev/null; then
        die "missing ${missing[*]}: install a JDK 17+ and Maven 3.8+ (Debian: apt-get install ${missing[*]})"
    fi
    say "installing ${missing[*]} with apt-get"
    # A bare image has no package lists; skip the refresh if another script just did it.
    [[ -n "$(find /var/lib/apt/lists -maxdepth 1 -name '*Packages*' -mmin -60 -print -quit 2>/dev/null)" ]] \
        || apt-get update -q
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}"
}

cmd_build() {
    # The lib dir only appears, by rename, once Maven has copied every jar: an interrupted
    # build leaves lib.partial behind instead of a half-filled lib that later runs trust.
    [[ -d "$LIB_DIR" ]] && return 0
    install_tools
    mkdir -p "$KAFKA_HOME"
    # Two test sessions may build at once on a fresh machine; let one do it.
    exec 8>"$KAFKA_HOME/.build.lock"
    flock 8
    if [[ ! -d "$LIB_DIR" ]]; then
        say "resolving Kafka $KAFKA_VERSION from Maven Central into $KAFKA_HOME (once per machine)"
        rm -rf "$KAFKA_HOME/lib.partial"
        # Maven's output goes to a file (its -q mode still prints colour codes); shown on failure.
        mvn -q -B -f "$SCRIPT_DIR/pom.xml" -Dkafka.version="$KAFKA_VERSION" -Dkafka.home="$KAFKA_HOME" \
            -Dkafka.lib="$KAFKA_HOME/lib.partial" package >"$KAFKA_HOME/build.log" 2>&1 \
            || { tail -n 40 "$KAFKA_HOME/build.log" >&2; die "maven build failed (log: $KAFKA_HOME/build.log)"; }
        mv "$KAFKA_HOME/lib.partial" "$LIB_DIR"
    fi
    exec 8>&-
}

# The pid of this data dir's broker if it is alive, else nothing. The command line is
# checked too: after a reboot the pid file may name some unrelated process.
broker_pid() {
    [[ -f "$PID_FILE" ]] || return 0
    local pid
    pid="$(<"$PID_FILE")"
    [[ -n "$pid" && -r "/proc/$pid/cmdline" ]] || return 0
    if [[ "$(tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null)" == *"kafka.Kafka $PROPS"* ]]; then
        echo "$pid"
    fi
}

# Written at every start, so changed ports or settings apply on restart; the data stays.
write_config() {
    cat >"$PROPS" <<EOF
# Generated by deploy/kafka/kafka.sh at each start; edit the script, not this file.
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@$KAFKA_HOST:$KAFKA_CONTROLLER_PORT
listeners=PLAINTEXT://$KAFKA_HOST:$KAFKA_PORT,CONTROLLER://$KAFKA_HOST:$KAFKA_CONTROLLER_PORT
advertised.listeners=PLAINTEXT://$KAFKA_HOST:$KAFKA_PORT
listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
log.dirs=$LOG_DIRS
# One node: every internal topic has one replica and needs only that one in sync.
offsets.topic.replication.factor=1
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
default.replication.factor=1
min.insync.replicas=1
# Internal topics default to 50 partitions each; on a single small node creating them
# makes the first consumer group or transaction wait for seconds.
offsets.topic.num.partitions=4
transaction.state.log.num.partitions=4
num.partitions=1
auto.create.topics.enable=$KAFKA_AUTO_CREATE_TOPICS
# A lone consumer should not wait 3 s for company before it gets its partitions.
group.initial.rebalance.delay.ms=0
# After a crash (SIGKILL), the restarted broker cannot register until the controller
# expires the dead one's session: 9 s by default, 3 s here. The heartbeat only travels
# over loopback inside this one process: it lapses only if the whole JVM stalls for
# seconds, and then the broker is fenced until the next heartbeat, a moment later.
broker.heartbeat.interval.ms=500
broker.session.timeout.ms=3000
# Sized for a 2-core box running the app and its tests alongside.
num.network.threads=2
num.io.threads=4
num.recovery.threads.per.data.dir=1
EOF
}

# The kernel takes the local port of every outgoing connection from the ephemeral range.
# Clients retrying a stopped broker on a port inside it eventually get that very port as
# their own and connect to themselves (ss: 127.0.0.1:P <-> 127.0.0.1:P); the port is then
# taken and the broker cannot start again until they give it up.
warn_ephemeral() {
    local low=32768 high=60999 port
    [[ -r /proc/sys/net/ipv4/ip_local_port_range ]] && read -r low high </proc/sys/net/ipv4/ip_local_port_range
    for port in "$KAFKA_PORT" "$KAFKA_CONTROLLER_PORT"; do
        if ((low <= port && port <= high)); then
            say "warning: port $port is in the ephemeral range ($low-$high): a restart can fail while clients retry; pick a port outside it"
        fi
    done
}

cmd_start() {
    local pid
    pid="$(broker_pid)"
    if [[ -n "$pid" ]]; then
        say "already running (pid $pid) on $KAFKA_HOST:$KAFKA_PORT"
        return 0
    fi
    cmd_build
    warn_ephemeral
    # Fail now, clearly, rather than with a bind error deep in the broker's log.
    local port
    for port in "$KAFKA_PORT" "$KAFKA_CONTROLLER_PORT"; do
        if (exec 3<>"/dev/tcp/$KAFKA_HOST/$port") 2>/dev/null; then
            die "port $port on $KAFKA_HOST is already in use (another broker? see KAFKA_PORT, KAFKA_CONTROLLER_PORT)"
        fi
    done
    mkdir -p "$KAFKA_DATA_DIR" "$(dirname "$KAFKA_LOG")"
    write_config
    local java_opts=(-cp "$LIB_DIR/*" -Dlog4j.configuration="file:$SCRIPT_DIR/log4j.properties"
        -Djava.awt.headless=true -XX:+ExitOnOutOfMemoryError -XX:-UsePerfData)
    # Format only a fresh data dir: reformatting after a crash would throw away the data
    # the restart is meant to recover.
    if [[ ! -f "$LOG_DIRS/meta.properties" ]]; then
        local cluster_id
        # A random 16-byte id, base64url as Kafka writes it; a leading '-' would read as
        # an option on StorageTool's command line.
        cluster_id="$(head -c 16 /dev/urandom | base64 | tr '+/' '-_' | tr -d '=')"
        cluster_id="x${cluster_id:1}"
        # A one-shot tool: the optimising JIT and a parallel GC would only slow its start.
        java -XX:TieredStopAtLevel=1 -XX:+UseSerialGC "${java_opts[@]}" \
            kafka.tools.StorageTool format -t "$cluster_id" -c "$PROPS" >>"$KAFKA_LOG" 2>&1 \
            || { tail -n 30 "$KAFKA_LOG" >&2; die "formatting $LOG_DIRS failed"; }
    fi
    # Backgrounded without job control, so a Ctrl-C meant for the caller (a test run) does
    # not reach the broker; callers stop it with `stop`.
    # shellcheck disable=SC2086  # heap and extra options are word lists on purpose
    nohup java $KAFKA_HEAP_OPTS $KAFKA_JVM_OPTS "${java_opts[@]}" kafka.Kafka "$PROPS" \
        >>"$KAFKA_LOG" 2>&1 </dev/null &
    pid=$!
    echo "$pid" >"$PID_FILE"
    if [[ -n "$KAFKA_OWNER_PID" ]]; then
        # A watchdog, polling once a second: it ends with the broker, or ends the broker.
        # shellcheck disable=SC2016  # expanded by the inner bash, from its arguments
        nohup bash -c 'while kill -0 "$0" && kill -0 "$1"; do sleep 1; done 2>/dev/null
            kill -0 "$0" 2>/dev/null || kill -TERM "$1" 2>/dev/null' \
            "$KAFKA_OWNER_PID" "$pid" >/dev/null 2>&1 </dev/null &
    fi
    say "started pid $pid on $KAFKA_HOST:$KAFKA_PORT (data $KAFKA_DATA_DIR, log $KAFKA_LOG)"
}

# Ready = the broker answers a Metadata request listing at least one broker, which is
# also when a client's bootstrap succeeds. Spoken in raw Kafka protocol over bash's
# /dev/tcp so no client library is needed: Metadata v0 (Kafka 3.9 still serves it) with
# client id "probe" and an empty topic list; the reply starts with size, correlation id
# and the broker count.
probe() {
    local reply
    # shellcheck disable=SC2016  # expanded by the inner bash, from its arguments
    reply="$(timeout 3 bash -c '
        exec 3<>"/dev/tcp/$0/$1" || exit 1
        printf "\x00\x00\x00\x13\x00\x03\x00\x00\x00\x00\x00\x01\x00\x05probe\x00\x00\x00\x00" >&3
        head -c 12 <&3 | od -An -tu1' "$KAFKA_HOST" "$KAFKA_PORT" 2>/dev/null)" || return 1
    # shellcheck disable=SC2086  # split od's output into bytes
    set -- $reply
    [[ $# -eq 12 ]] && ((${9} + ${10} + ${11} + ${12} > 0))
}

# True if process $1 holds the listening socket on port $2. Without this check a broker
# that is about to die on "address in use" would look ready, answered for by whoever
# holds the port.
owns_port() {
    local ino
    while read -r ino; do
        [[ -n "$(find "/proc/$1/fd" -lname "socket:\[$ino\]" -print -quit 2>/dev/null)" ]] && return 0
    done < <(awk -v port="$(printf ':%04X' "$2")" \
        'substr($2, length($2) - 4) == port && $4 == "0A" { print $10 }' /proc/net/tcp /proc/net/tcp6 2>/dev/null)
    return 1
}

cmd_wait() {
    local deadline=$((SECONDS + KAFKA_WAIT_TIMEOUT)) pid
    while :; do
        pid="$(broker_pid)"
        if [[ -z "$pid" ]]; then
            show_log
            die "broker is not running (log: $KAFKA_LOG)"
        fi
        if owns_port "$pid" "$KAFKA_PORT" && probe; then
            echo "$KAFKA_HOST:$KAFKA_PORT"
            return 0
        fi
        if ((SECONDS >= deadline)); then
            show_log
            die "broker not ready after ${KAFKA_WAIT_TIMEOUT}s (log: $KAFKA_LOG)"
        fi
        sleep 0.2
    done
}

cmd_stop() {
    local pid
    pid="$(broker_pid)"
    if [[ -z "$pid" ]]; then
        rm -f "$PID_FILE"
        return 0
    fi
    # SIGTERM runs Kafka's controlled shutdown, which flushes and closes the logs cleanly
    # so the next start skips log recovery.
    kill -TERM "$pid"
    local deadline=$((SECONDS + KAFKA_STOP_TIMEOUT))
    while alive "$pid"; do
        if ((SECONDS >= deadline)); then
            say "no clean shutdown after ${KAFKA_STOP_TIMEOUT}s; killing pid $pid"
            kill -KILL "$pid" 2>/dev/null || true
            break
        fi
        sleep 0.1
    done
    wait_gone "$pid"
    rm -f "$PID_FILE"
    say "stopped"
}

# A crash on purpose, for fault tests: no shutdown hooks, no flush of Kafka's own (what
# it wrote is in the OS page cache and survives, as after a real process crash).
cmd_kill() {
    local pid
    pid="$(broker_pid)"
    [[ -z "$pid" ]] && return 0
    kill -KILL "$pid"
    wait_gone "$pid"
    say "killed pid $pid"
}

# A zombie counts as gone: it has released its ports and files, and where nothing reaps
# orphans (some containers' init) it would otherwise look alive forever.
alive() { [[ -e "/proc/$1" ]] && ! grep -q '^State:[[:space:]]*Z' "/proc/$1/status" 2>/dev/null; }

# Signals are delivered asynchronously: until the process has exited, its ports and the
# data-dir lock are still held and a restart right after would fail.
wait_gone() {
    while alive "$1"; do
        sleep 0.05
    done
}

cmd_status() {
    local pid
    pid="$(broker_pid)"
    if [[ -n "$pid" ]]; then
        echo "running pid $pid on $KAFKA_HOST:$KAFKA_PORT (data $KAFKA_DATA_DIR)"
    else
        echo "not running (data $KAFKA_DATA_DIR)"
        return 3
    fi
}

case "${1:-}" in
    build) cmd_build ;;
    start) cmd_start ;;
    wait) cmd_wait ;;
    stop) cmd_stop ;;
    kill) cmd_kill ;;
    status) cmd_status ;;
    *)
        echo "usage: $0 build|start|wait|stop|kill|status  (settings: see the top of this file)" >&2
        exit 2
        ;;
esac
