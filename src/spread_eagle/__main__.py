from spread_eagle.cli import app

app(prog_name="spread-eagle")
