# grpca: `make run` starts a development CA, `make test` runs every test.
SHELL := /bin/bash
MVN ?= mvn -B -ntp
VAR ?= var
HSM_DIR := $(VAR)/dev/hsm
BUF_VERSION := 1.50.0
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: run replicas test build deps examples-deps lint fmt bench bench-profile bench-flood bench-postgres bench-metrics bench-inventory bench-watch bench-micro bench-deps clean distclean

## run: build, make the dev token if missing, start the CA on 127.0.0.1:8443 (Ctrl-C stops it)
run: deps build
	./hsm-config/init-token.sh $(HSM_DIR)
	@# Exit status 130 is the server stopping on Ctrl-C: a normal end, not a failure.
	SOFTHSM2_CONF=$(CURDIR)/$(HSM_DIR)/softhsm2.conf java -jar server/target/grpca-server.jar $(ARGS) || [ $$? = 130 ]

## replicas: two replicas of one CA on a local PostgreSQL (Debian's postgresql package, installed if missing), sharing the dev token (Ctrl-C stops them)
replicas: deps build
	@command -v /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || { echo "installing: postgresql"; $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq postgresql >/dev/null; }
	VAR=$(VAR) scripts/replicas.sh || { s=$$?; [ $$s = 130 ] || [ $$s = 143 ]; } # stopped by Ctrl-C or kill

## test: every test (fresh SoftHSM token per run, H2, gRPC over loopback, openssl) and buf lint; then bin/grpca as built
test: deps lint examples-deps
	$(MVN) verify
	@# The CLI's artifact itself (its classes and target/lib), as bin/grpca runs it.
	bin/grpca --help > /dev/null

build:
	$(MVN) -q package -DskipTests -Dspotless.check.skip=true

## deps: what building and testing need from Debian/Ubuntu: SoftHSM2, OpenSC's pkcs11-tool, OpenSSL, GnuTLS's tools, curl, npm (for buf), Prometheus's promtool
deps:
	@missing=""; \
	command -v softhsm2-util >/dev/null || missing="$$missing softhsm2"; \
	command -v pkcs11-tool >/dev/null || missing="$$missing opensc"; \
	command -v openssl >/dev/null || missing="$$missing openssl"; \
	command -v certtool >/dev/null || missing="$$missing gnutls-bin"; \
	command -v npm >/dev/null || missing="$$missing npm"; \
	command -v curl >/dev/null || missing="$$missing curl"; \
	if [ -n "$$missing" ]; then \
	  echo "installing:$$missing"; \
	  $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq $$missing >/dev/null; \
	fi
	@# The Python example's runtime and stub compiler (Debian's, from /usr/bin/python3).
	@/usr/bin/python3 -c 'import grpc, grpc_tools' 2>/dev/null || { echo "installing: python3-grpcio python3-grpc-tools"; $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq python3-grpcio python3-grpc-tools >/dev/null; }
	@# promtool checks the /metrics scrape and the alert rules; the package's server is not started.
	@command -v promtool >/dev/null || { echo "installing: prometheus (for promtool)"; $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq --no-install-recommends prometheus >/dev/null; }

## examples-deps: the Node example's packages (from npm, as its package-lock.json pins them)
examples-deps:
	@[ -d examples/node/node_modules/@grpc/grpc-js ] || npm ci --silent --no-audit --no-fund --prefix examples/node >/dev/null

## lint: buf lint (DEFAULT rules) over the contract; buf comes from npm
lint:
	@[ -x .tools/node_modules/.bin/buf ] || npm install --silent --no-audit --no-fund --prefix .tools @bufbuild/buf@$(BUF_VERSION) >/dev/null
	.tools/node_modules/.bin/buf lint proto

## bench: the standard set of BENCHMARKS.md (16-17 minutes on 2 cores, 3 of them loading 1.1M rows): issuance, OCSP and CRL figures beside their references
BENCH_DIR := $(CURDIR)/target/bench
BENCH_SECONDS ?= 8
# Extra JVM options for the server the bench starts, to compare settings (e.g. "-XX:NewSize=320m -XX:MaxNewSize=320m")
BENCH_SERVER_JVM ?=
BENCH_RUN = rm -rf $(BENCH_DIR) && ./hsm-config/init-token.sh $(BENCH_DIR)/hsm grpca-bench && \
	SOFTHSM2_CONF=$(BENCH_DIR)/hsm/softhsm2.conf java -Xmx1g -Dbench.serverJvm="$(BENCH_SERVER_JVM)" -jar bench/target/grpca-bench.jar \
	  $(BENCH_DIR) $(BENCH_DIR)/hsm $(CURDIR)/server/target/grpca-server.jar $(CURDIR)/bench/src/main/config/logback-bench.xml
bench: deps bench-deps build
	$(BENCH_RUN) $(BENCH_SECONDS)

## bench-profile: a JFR profile of the Sign path under load and of Issue under an OCSP flood, summarised (where the server's CPU goes)
bench-profile: deps bench-deps build
	$(BENCH_RUN) $(BENCH_SECONDS) --profile

## bench-flood: the row "Issue while OCSP is flooded" alone (2 min), for working on it
bench-flood: deps bench-deps build
	$(BENCH_RUN) $(BENCH_SECONDS) --flood

## bench-postgres: the Sign and Issue rows on H2, then those and start-up and RebuildCrl at 1M on PostgreSQL (5 min)
bench-postgres: deps bench-deps build
	$(BENCH_RUN) $(BENCH_SECONDS) --postgres

## bench-metrics: the metrics rows alone (2 min): Sign with metrics on vs off, and a /metrics scrape
bench-metrics: deps bench-deps build
	$(BENCH_RUN) $(BENCH_SECONDS) --metrics

## bench-inventory: the inventory rows alone (12 min, 10 of them loading and labelling 1M rows): List by name prefix and labels, and tidy under Issue, at 1M certificates
bench-inventory: deps bench-deps build
	$(BENCH_RUN) $(BENCH_SECONDS) --inventory

## bench-watch: the watch-stream rows alone (2 min): 10,000 idle WatchRevocations streams, their cost, and a Revoke's fan-out to them
bench-watch: deps bench-deps build
	$(BENCH_RUN) $(BENCH_SECONDS) --watch

## bench-micro: JMH micro-benchmarks of the hot parts (token signing, certificate build and check, CSR, OCSP, CRL)
JMH_ARGS ?= -f 1 -wi 2 -w 2s -i 3 -r 2s
bench-micro: deps build
	rm -rf $(BENCH_DIR)-micro && ./hsm-config/init-token.sh $(BENCH_DIR)-micro/hsm grpca-micro
	SOFTHSM2_CONF=$(BENCH_DIR)-micro/hsm/softhsm2.conf GRPCA_BENCH_HSM=$(BENCH_DIR)-micro/hsm \
	  java -cp 'bench/target/grpca-bench.jar:bench/target/lib/*' org.openjdk.jmh.Main $(JMH_ARGS)

## bench-deps: wrk (the HTTP load client the OCSP comparison uses)
bench-deps:
	@command -v wrk >/dev/null || { echo "installing: wrk"; $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq wrk >/dev/null; }

## fmt: apply the enforced formatting (google-java-format through Spotless)
fmt:
	$(MVN) -q spotless:apply

clean:
	$(MVN) -q clean

## distclean: also forget the dev CA (token, database, admin token) under var/
distclean: clean
	rm -rf $(VAR) .tools
