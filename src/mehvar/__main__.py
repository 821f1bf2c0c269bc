from mehvar.cli import main

main()
