# Run by mmdebstrap's --customize-hook as `sh -s ROOT`: makes the Debian rootfs
# behave like the upstream nginx, redis and etcd images where the examples rely on it.
set -eu
root=$1

# nginx: the upstream image's layout (conf.d/default.conf serving /usr/share/nginx/html
# on port 80, logs to the container's stdout/stderr, the "Welcome to nginx!" page).
rm -f "$root/etc/nginx/sites-enabled/default"
mkdir -p "$root/etc/nginx/conf.d" "$root/usr/share/nginx/html"
cat >"$root/etc/nginx/conf.d/default.conf" <<'CONF'
server {
    listen       80;
    listen  [::]:80;
    server_name  localhost;
    location / {
        root   /usr/share/nginx/html;
        index  index.html index.htm;
    }
    error_page   500 502 503 504  /50x.html;
    location = /50x.html {
        root   /usr/share/nginx/html;
    }
}
CONF
cat >"$root/usr/share/nginx/html/index.html" <<'HTML'
<!DOCTYPE html>
<html>
<head>
<title>Welcome to nginx!</title>
<style>
html { color-scheme: light dark; }
body { width: 35em; margin: 0 auto;
font-family: Tahoma, Verdana, Arial, sans-serif; }
</style>
</head>
<body>
<h1>Welcome to nginx!</h1>
<p>If you see this page, the nginx web server is successfully installed and
working. Further configuration is required.</p>

<p>For online documentation and support please refer to
<a href="http://nginx.org/">nginx.org</a>.<br/>
Commercial support is available at
<a href="http://nginx.com/">nginx.com</a>.</p>

<p><em>Thank you for using nginx.</em></p>
</body>
</html>
HTML
ln -sf /dev/stdout "$root/var/log/nginx/access.log"
ln -sf /dev/stderr "$root/var/log/nginx/error.log"

# redis: the upstream entrypoint's rule (a first argument that is an option or a
# .conf file runs redis-server with it), /data as the working directory.
mkdir -p "$root/usr/local/bin" "$root/data" "$root/usr/local/etc/redis"
cat >"$root/usr/local/bin/docker-entrypoint.sh" <<'SH'
#!/bin/sh
set -e
case "$1" in
    -*|*.conf) set -- redis-server "$@" ;;
esac
exec "$@"
SH
chmod 0755 "$root/usr/local/bin/docker-entrypoint.sh"

# etcd where the upstream image has it
ln -sf /usr/bin/etcd "$root/usr/local/bin/etcd"
mkdir -p "$root/var/lib/etcd"
