#!/bin/sh
# Runs Tomcat 10 (Debian's tomcat10) in the foreground as this image's
# "apache-tomcat-7.0.42-v2": CATALINA_BASE is the directory above bin/, so its
# webapps/ is the pod's shared volume. `catalina.sh run` execs java, which
# then gets SIGTERM directly and logs to stdout.
#
# JAVA_OPTS replaces the default JVM flags below. TOMCAT_CDS_DUMP=1 (image
# build only) writes the class-data-sharing archive instead of using it.
set -eu

CATALINA_BASE=$(cd "$(dirname "$0")/.." && pwd)
export CATALINA_BASE
export CATALINA_HOME="${CATALINA_HOME:-/usr/share/tomcat10}"
export CATALINA_TMPDIR="$CATALINA_BASE/temp"
if [ -z "${JAVA_HOME:-}" ]; then
    JAVA_HOME=$(dirname "$(dirname "$(readlink -f /usr/bin/java)")")
    export JAVA_HOME
fi

# Fast start over peak throughput: C1 only, serial GC, small stacks.
JAVA_OPTS="${JAVA_OPTS:--XX:TieredStopAtLevel=1 -XX:+UseSerialGC -Xss512k -Djava.awt.headless=true -Djava.security.egd=file:/dev/./urandom}"
cds_archive="$CATALINA_BASE/tomcat.jsa"
if [ -n "${TOMCAT_CDS_DUMP:-}" ]; then
    JAVA_OPTS="$JAVA_OPTS -XX:ArchiveClassesAtExit=$cds_archive"
elif [ -r "$cds_archive" ]; then
    # -Xshare:auto: a stale archive only costs a warning, never the start.
    JAVA_OPTS="$JAVA_OPTS -Xshare:auto -XX:SharedArchiveFile=$cds_archive"
fi
export JAVA_OPTS

mkdir -p "$CATALINA_BASE/webapps" "$CATALINA_BASE/logs" "$CATALINA_BASE/work" "$CATALINA_TMPDIR"
exec "$CATALINA_HOME/bin/catalina.sh" run
