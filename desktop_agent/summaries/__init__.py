"""After a conversation: a title, a summary and the user's own fields, extracted by the language model.

:mod:`fields_schema` reads the fields the user asks for (a JSON schema in Settings > Privacy), :mod:`extraction`
words the request and reads the answer (pure: no network), :mod:`summarizer` runs it on its own thread against the
history store. No Qt, no Pipecat.
"""
