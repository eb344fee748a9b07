"""`python -m auditor` is the same command as `checkout-auditor`."""

from auditor.cli.start import main

if __name__ == "__main__":
    main()
