# Throwaway servers for the test suite, on loopback ports, stopped by services_stop.
# Source this file; call services_stop from an EXIT trap so servers stop also when tests fail.

PG_VERSION=15
PG_BIN=/usr/lib/postgresql/$PG_VERSION/bin
SERVICES_DIR=""
PG_DATA=""

_free_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

_as_postgres() {
    # initdb refuses to run as root; as root, run the server as the `postgres` user.
    if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

_loud_failure() {
    printf '\n!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!\n' >&2
    printf '!!! %s\n' "$@" >&2
    printf '!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!\n\n' >&2
}

# apt-get install the Debian packages named, when any of the files given before "--" is missing.
# Usage: apt_ensure FILE... -- PACKAGE...
apt_ensure() {
    local files=() packages=() missing=0
    while [ "$1" != "--" ]; do files+=("$1"); shift; done
    shift
    packages=("$@")
    for f in "${files[@]}"; do [ -e "$f" ] || missing=1; done
    [ "$missing" = 0 ] && return 0
    if [ "$(id -u)" != 0 ]; then
        _loud_failure "Missing ${packages[*]} and not root, so apt-get cannot install them." \
            "Install them (apt-get install ${packages[*]}) and run again."
        return 1
    fi
    echo "==> Installing Debian packages: ${packages[*]}"
    # Debian's packages would start their own servers; nothing may start here but our own.
    if [ ! -e /etc/postgresql-common/createcluster.conf ]; then
        # Debian's postgresql package would otherwise create and start a cluster of its own.
        mkdir -p /etc/postgresql-common
        echo "create_main_cluster = false" > /etc/postgresql-common/createcluster.conf
    fi
    DEBIAN_FRONTEND=noninteractive apt-get update -qq &&
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${packages[@]}" >/dev/null
}

services_dir() {
    if [ -z "$SERVICES_DIR" ]; then
        SERVICES_DIR=$(mktemp -d /tmp/edupulse-services.XXXXXX)
        chmod 755 "$SERVICES_DIR"
    fi
}

# Start a throwaway PostgreSQL 15 on a free loopback port; sets PG_URL.
pg_start() {
    if ! apt_ensure "$PG_BIN/initdb" "$PG_BIN/pg_ctl" -- "postgresql-$PG_VERSION"; then
        _loud_failure "PostgreSQL $PG_VERSION cannot be had: the PostgreSQL test run cannot happen."
        return 1
    fi
    services_dir
    local dir="$SERVICES_DIR/pg" port
    mkdir -p "$dir"
    [ "$(id -u)" = 0 ] && chown postgres:postgres "$dir"
    port=$(_free_port)
    _as_postgres "$PG_BIN/initdb" -D "$dir/data" -A trust -U postgres --no-sync -E UTF8 >"$dir/initdb.log" 2>&1 || {
        cat "$dir/initdb.log" >&2
        _loud_failure "initdb failed: the PostgreSQL test run cannot happen."
        return 1
    }
    # Durability is pointless for a throwaway test server; turning it off halves run time.
    # Benchmarks set PG_DURABLE=1 to measure with PostgreSQL's default, durable settings.
    local options="-k $dir -c listen_addresses=127.0.0.1 -p $port"
    [ -z "${PG_DURABLE:-}" ] && options+=" -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
    _as_postgres "$PG_BIN/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -o "$options" \
        start >/dev/null || {
        cat "$dir/server.log" >&2
        _loud_failure "PostgreSQL did not start: the PostgreSQL test run cannot happen."
        return 1
    }
    PG_DATA="$dir/data"
    PG_URL="postgres://postgres@127.0.0.1:$port/edupulse"
    PG_PORT=$port
    export PG_URL
    echo "==> PostgreSQL $("$PG_BIN/postgres" --version | awk '{print $3}') running on 127.0.0.1:$port"
}

services_stop() {
    if [ -n "$PG_DATA" ]; then
        _as_postgres "$PG_BIN/pg_ctl" -D "$PG_DATA" -m fast -w stop >/dev/null 2>&1 || true
        PG_DATA=""
    fi
    if [ -n "$SERVICES_DIR" ]; then
        rm -rf "$SERVICES_DIR"
        SERVICES_DIR=""
    fi
}
