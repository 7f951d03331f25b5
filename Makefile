# The two commands of the README: `make run` and `make test`. Both install what is missing
# (Debian packages, through apt) and build first.

SWIFT ?= swift
# What building and testing need beyond Swift: the C libraries the package links, pkg-config
# to find them, the openssl command (interop tests, certificates), and the real PostgreSQL,
# nginx and curl that the service runs on and is tested through; prometheus for promtool, which
# checks the metrics' format; systemd for systemd-socket-activate, which hands the pool its socket in a test.
# make deb needs dpkg-dev (dpkg-shlibdeps) and help2man (the man pages); the package's tests
# need lintian and debootstrap (a clean Debian 12 root to install it into). The browser client's
# tests drive a headless Chromium through chromium-driver and python3-selenium; the availability
# tests talk FastCGI to a pool directly with libfcgi-bin's cgi-fcgi; the offline client's tests move a
# process's clock with faketime (libfaketime) and cut it off the network with util-linux's unshare;
# python3-venv holds the OpenAPI validators from PyPI (scripts/python-tools.sh).
APT_PACKAGES := pkg-config libfcgi-dev libpq-dev libssl-dev openssl postgresql nginx curl prometheus systemd \
	dpkg-dev help2man lintian debootstrap chromium chromium-driver python3-selenium fonts-dejavu-core libfcgi-bin iproute2 faketime python3-venv

.PHONY: all deps build python-tools release deb test check docs run bench bench-reports soak fuzz clean

all: build

deps:
	@scripts/install-packages.sh $(APT_PACKAGES)

build: deps
	$(SWIFT) build

release: deps
	$(SWIFT) build -c release

# dist/license-server_VERSION_ARCH.deb (docs/operating.md "Install on Debian"), and the C
# library's liblicense-client1 and liblicense-client-dev (README "The C library").
deb: deps
	@scripts/deb.sh
	@scripts/deb-client-library.sh

# The OpenAPI validators the tests run (pinned, from PyPI, in .build/python-tools).
python-tools: deps
	@scripts/python-tools.sh

# The tests' stacks go into a folder of this run's own (LICENSE_TEST_STACKS); a test run that
# crashed may leave one running, so this run stops what is left there (and what runs in a
# Debian root the package's tests left, and the network namespaces of a failover topology),
# and nothing of another run.
test: build deb python-tools
	@stacks=$$(mktemp -d /tmp/license-test-stacks-XXXXXX) && chmod 755 "$$stacks"; \
	LICENSE_TEST_STACKS="$$stacks" $(SWIFT) test; status=$$?; \
	for stack in "$$stacks"/license-stack-* "$$stacks"/debian-root-*/srv/license-test; do \
		[ -d "$$stack" ] && scripts/stack.sh stop "$$stack" >/dev/null 2>&1; done; \
	for topology in "$$stacks"/license-topology-*; do \
		[ -d "$$topology" ] && scripts/topology.sh down "$$topology" >/dev/null 2>&1; done; \
	scripts/debian-root.sh remove "$$stacks"/debian-root-* && rm -rf "$$stacks"; exit $$status

# The in-process suites only (the pure core, the handlers over an in-memory store, crypto, the
# HTTPS client's parser, the pool's configuration): seconds, without root, PostgreSQL or nginx. The developer's fast loop;
# make test stays the one command that proves everything.
CHECK_SUITES := LicenseCoreTests|CheckHandlerTests|LicenseCryptoTests|HTTPSClientTests|ServerConfigurationTests
check:
	$(SWIFT) build --build-tests
	$(SWIFT) test --skip-build --filter '$(CHECK_SUITES)'

# The client library's DocC reference (swift-docc-plugin), in .build/plugins/Swift-DocC/outputs/.
docs:
	$(SWIFT) package generate-documentation --target LicenseClient

run: build
	@scripts/run.sh

# The service's speed against its ceilings, then the reports' (never part of make test).
bench: release
	@scripts/install-packages.sh wrk jq strace linux-perf
	@scripts/bench.sh
	@scripts/bench-reports.sh

# The mixed load at half the measured maximum for 30 minutes (SOAK_MINUTES): errors, memory,
# p99 and the seats table's size over time (docs/performance.md; never part of make test).
soak: release
	@scripts/install-packages.sh wrk jq
	@scripts/soak.sh

# The reports' speed on 100 000 licenses and 10 million seat-days (never part of make test).
bench-reports: release
	@scripts/bench-reports.sh

# libFuzzer over the parsers and the whole check handler (docs/testing.md; never part of
# make test; CI runs each target briefly from the committed corpus).
FUZZ_SECONDS ?= 300
FUZZ_TARGETS := fuzz-key fuzz-startup-code fuzz-form fuzz-offline-files fuzz-https-answer fuzz-check-handler
fuzz: deps
	@scripts/fuzz.sh $(FUZZ_SECONDS) $(FUZZ_TARGETS)

clean:
	rm -rf .build .build-fuzz .build-release .build-debian .run dist
