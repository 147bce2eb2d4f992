"""The shearfeat gallery: ``python -m gallery -o DIR`` builds every figure into DIR
and writes DIR/index.html."""
