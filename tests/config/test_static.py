def test_static_files_are_served_by_the_app_itself(client):
    # Without a separate web server the minutes editor's JavaScript must still load.
    r = client.get("/static/minutes/minutes.js")
    assert r.status_code == 200
    assert b"".join(r.streaming_content if r.streaming else [r.content])
