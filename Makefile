# SmartPay's build entry point. `make run` sets up and runs the platform; `make test` runs every test.
.PHONY: run test setup build bench format clean fraud-model fraud-evaluate

run: setup
	infra/scripts/run.sh

test:
	infra/scripts/test.sh

setup:
	infra/scripts/setup.sh

build: setup
	swift build

bench:
	Tests/Benchmarks/bench.sh
	Tests/Benchmarks/runtime-bench.sh
	Tests/Benchmarks/bus-bench.sh
	Tests/Benchmarks/fraud-bench.sh
	Tests/Benchmarks/route-bench.sh
	Tests/Benchmarks/pay-bench.sh
	Tests/Benchmarks/solana-bench.sh
	Tests/Benchmarks/reward-bench.sh
	Tests/Benchmarks/websocket-bench.sh
	Tests/Benchmarks/chat-bench.sh
	Tests/Benchmarks/ledger-bench.sh

# The fraud model's offline pipeline (simulate → features → train; evaluate on the handbook's protocol).
fraud-model:
	Functions/Fraud/pipeline.sh model

fraud-evaluate:
	Functions/Fraud/pipeline.sh evaluate

format:
	swift format format --in-place --recursive --parallel Package.swift $$(ls -d Functions Runtime Tests 2>/dev/null)

clean:
	rm -rf .build .build-* .smartpay
