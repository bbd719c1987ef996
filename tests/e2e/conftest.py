import sys
from pathlib import Path

# importlib import mode does not put test folders on sys.path; the helper module lives here.
sys.path.insert(0, str(Path(__file__).parent))
