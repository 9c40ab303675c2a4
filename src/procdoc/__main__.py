from procdoc.cli import main

main()
