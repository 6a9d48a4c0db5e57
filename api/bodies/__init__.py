"""The JSON bodies of the API, each declared once as a msgspec Struct.

A request body is decoded and checked by its Struct (``api.bodies.reading``), a response
is encoded from its Struct, and the OpenAPI components are generated from the same
Structs (``api.bodies.components``): the document cannot describe a shape the server
does not use. What a type cannot say (a URL's host that must survive IDNA, a code that
is reserved, a date in the future) is checked after decoding, next to the endpoint.
"""
