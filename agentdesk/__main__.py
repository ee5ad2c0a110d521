from agentdesk.cli import main

raise SystemExit(main())
