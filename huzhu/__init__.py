"""huzhu: the Wujin District employee medical mutual-aid system."""
