// DemoKit: the embedded default of issue 3.
