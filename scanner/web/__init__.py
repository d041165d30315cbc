"""The local web page (`scanner serve`): a thin layer over scanner.api and scanner.review."""
