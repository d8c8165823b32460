from pinlint.console import run

run()
