#!/bin/bash
# Image build step: one training run of Tomcat that renders a JSP, so the JVM
# writes a class-data-sharing archive (bin/start.sh uses it; about 40% faster
# to the first response). Talks only to 127.0.0.1 inside the build container.
set -euo pipefail

base=/root/apache-tomcat-7.0.42-v2
warmup=$base/webapps/warmup

mkdir -p "$warmup"
cat >"$warmup/index.jsp" <<'JSP'
<%@ page contentType="text/html; charset=UTF-8" import="java.time.Instant" %>
<p><%= 6 * 7 %> ${pageContext.request.contextPath} <%= Instant.now() %></p>
JSP

TOMCAT_CDS_DUMP=1 "$base/bin/start.sh" &
pid=$!

rendered=0
for _ in $(seq 600); do
    if exec 3<>/dev/tcp/127.0.0.1/8080; then
        printf 'GET /warmup/ HTTP/1.0\r\nHost: localhost\r\n\r\n' >&3
        if grep -q '<p>42 /warmup' <&3; then rendered=1; fi
        exec 3>&-
        (( rendered )) && break
    fi 2>/dev/null
    sleep 0.1
done
kill -TERM "$pid"
wait "$pid" || true   # the JVM exits 143 on SIGTERM

(( rendered )) || { echo "cds-train: warmup page never rendered" >&2; exit 1; }
[[ -s $base/tomcat.jsa ]] || { echo "cds-train: no archive written" >&2; exit 1; }
rm -rf "$warmup" "$base/webapps/warmup.war" "$base/work/"* "$base/logs/"* "$base/temp/"*
echo "cds-train: wrote $base/tomcat.jsa ($(du -h "$base/tomcat.jsa" | cut -f1))"
