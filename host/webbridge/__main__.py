from webbridge.cli.main import main

raise SystemExit(main())
