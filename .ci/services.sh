# Sourced by .ci/run: installs and starts what the tests need on a fresh machine, and defines
# consentkit_stop_services, which .ci/run calls on exit.

# Real Chromium for the browser end-to-end test (Debian's package; Playwright's own browser download
# cannot work here). If it cannot be installed, the browser test fails under CI=true, saying why.
if [[ ! -x /usr/bin/chromium ]]; then
  echo "Installing Chromium for the browser test…"
  if [[ "$(id -u)" -eq 0 ]]; then
    if ! { apt-get update -qq >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; }; then
      echo "Could not install Chromium with apt; the browser test will fail and say why."
    fi
  else
    echo "Not root: cannot install Chromium; the browser test will fail under CI and say why."
  fi
fi
# A first headless launch outside the tests: a new machine builds its font cache and profile here, not
# inside the browser test's time budget.
if [[ -x /usr/bin/chromium ]]; then
  timeout 120 /usr/bin/chromium --headless --no-sandbox --disable-gpu --disable-background-networking --no-first-run \
    --user-data-dir="$(mktemp -d)" --dump-dom 'data:text/html,<p>warm-up</p>' >/dev/null 2>&1 || true
fi

# A throwaway PostgreSQL cluster for the PostgreSQL store's tests (postgres refuses to run as root, so
# the server runs as the postgres user). fsync stays on: the durability tests depend on it.
consentkit_pg_root=""
if ! compgen -G "/usr/lib/postgresql/*/bin/initdb" >/dev/null; then
  echo "Installing PostgreSQL for the store tests…"
  if [[ "$(id -u)" -eq 0 ]]; then
    apt-get update -qq >/dev/null || true
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null || echo "Could not install PostgreSQL; its tests will fail under CI and say why."
  fi
fi
if compgen -G "/usr/lib/postgresql/*/bin/initdb" >/dev/null && [[ "$(id -u)" -eq 0 ]]; then
  consentkit_pg_bin="$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)"
  consentkit_pg_root="$(mktemp -d /tmp/consentkit-pg.XXXXXX)"
  chown postgres:postgres "$consentkit_pg_root"
  consentkit_pg_port=55432
  runuser -u postgres -- "$consentkit_pg_bin/initdb" -D "$consentkit_pg_root/data" -U postgres -A trust -E UTF8 --locale=C.UTF-8 --no-sync >/dev/null
  if runuser -u postgres -- "$consentkit_pg_bin/pg_ctl" -D "$consentkit_pg_root/data" -l "$consentkit_pg_root/server.log" -w -t 60 \
      -o "-h 127.0.0.1 -p $consentkit_pg_port -k $consentkit_pg_root -c max_connections=400" start >/dev/null; then
    export CONSENTKIT_TEST_POSTGRES="Host=127.0.0.1;Port=$consentkit_pg_port;Username=postgres;Database=postgres"
    # The restart test runs this (pg_ctl restart keeps the options the server was started with).
    export CONSENTKIT_TEST_POSTGRES_RESTART="runuser -u postgres -- $consentkit_pg_bin/pg_ctl -D $consentkit_pg_root/data -w -t 60 -m fast restart"
    echo "PostgreSQL for the tests: $CONSENTKIT_TEST_POSTGRES"
  else
    echo "PostgreSQL did not start; see $consentkit_pg_root/server.log"
  fi
fi

# A throwaway RabbitMQ broker for the relay's broker tests (Debian's rabbitmq-server, run as the rabbitmq user).
consentkit_rmq_root=""
if ! command -v rabbitmq-server >/dev/null && [[ "$(id -u)" -eq 0 ]]; then
  echo "Installing RabbitMQ for the relay tests…"
  apt-get update -qq >/dev/null || true
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq rabbitmq-server >/dev/null || echo "Could not install RabbitMQ; its tests will fail under CI and say why."
  # The package starts a system broker where it can; the tests use their own.
  (command -v service >/dev/null && service rabbitmq-server stop >/dev/null 2>&1) || true
fi
if command -v rabbitmq-server >/dev/null && [[ "$(id -u)" -eq 0 ]]; then
  consentkit_rmq_epmd_before=no
  epmd -names >/dev/null 2>&1 && consentkit_rmq_epmd_before=yes
  consentkit_rmq_root="$(mktemp -d /tmp/consentkit-rmq.XXXXXX)"
  chown rabbitmq:rabbitmq "$consentkit_rmq_root"
  runuser -u rabbitmq -- env HOME="$consentkit_rmq_root" RABBITMQ_NODENAME=ckci@localhost RABBITMQ_NODE_PORT=55682 RABBITMQ_DIST_PORT=55683 \
    RABBITMQ_MNESIA_BASE="$consentkit_rmq_root/mnesia" RABBITMQ_LOG_BASE="$consentkit_rmq_root/log" RABBITMQ_PID_FILE="$consentkit_rmq_root/pid" \
    rabbitmq-server >"$consentkit_rmq_root/stdout" 2>&1 &
  for _ in $(seq 1 120); do
    grep -qs "Server startup complete" "$consentkit_rmq_root/log/ckci@localhost.log" && break
    sleep 0.5
  done
  if grep -qs "Server startup complete" "$consentkit_rmq_root/log/ckci@localhost.log"; then
    export CONSENTKIT_TEST_RABBITMQ="amqp://guest:guest@127.0.0.1:55682/"
    # The restart test stops and starts the broker application (durable queues and their messages survive it).
    consentkit_rmq_cookie="$(cat "$consentkit_rmq_root/.erlang.cookie")"
    export CONSENTKIT_TEST_RABBITMQ_RESTART="rabbitmqctl --erlang-cookie $consentkit_rmq_cookie -n ckci@localhost stop_app && rabbitmqctl --erlang-cookie $consentkit_rmq_cookie -n ckci@localhost start_app"
    echo "RabbitMQ for the tests: $CONSENTKIT_TEST_RABBITMQ"
  else
    echo "RabbitMQ did not start; see $consentkit_rmq_root/log"
  fi
fi

consentkit_stop_services() {
  if [[ -n "$consentkit_rmq_root" ]]; then
    rabbitmqctl --erlang-cookie "$(cat "$consentkit_rmq_root/.erlang.cookie" 2>/dev/null)" -n ckci@localhost stop >/dev/null 2>&1 || true
    [[ -f "$consentkit_rmq_root/pid" ]] && kill "$(cat "$consentkit_rmq_root/pid")" 2>/dev/null || true
    # The Erlang port mapper the broker started, unless one ran before it.
    [[ "$consentkit_rmq_epmd_before" == no ]] && epmd -kill >/dev/null 2>&1 || true
    rm -rf "$consentkit_rmq_root"
  fi
  if [[ -n "$consentkit_pg_root" ]]; then
    runuser -u postgres -- "$consentkit_pg_bin/pg_ctl" -D "$consentkit_pg_root/data" -m immediate -w stop >/dev/null 2>&1 || true
    rm -rf "$consentkit_pg_root"
  fi
}
